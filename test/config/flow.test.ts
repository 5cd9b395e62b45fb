import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parsePipeline } from '../../src/config/load.js';

const rest = `
model: { dModel: 64, nLayers: 2, nHeads: 2, headDim: 32, moe: { algorithm: moe_layer, nExperts: 4, topK: 2, expertSize: 16 } }
trainer: { steps: 10 }
`;

function problems(data: string): string[] {
  try {
    parsePipeline(`data:\n${data}\n${rest}`, 'p.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return [...e.problems];
  }
  assert.fail('expected a ConfigError');
}

const flow = (...ops: string[]) => `  files: [a.jsonl]\n  flow:\n${ops.map((o) => `    - ${o}`).join('\n')}`;

test('a stated flow is validated: each op\'s options get their defaults, pack/batch sizes become data.seqLen/batchSize', () => {
  const { config } = parsePipeline(`data:\n${flow('{op: tokenize}', '{op: pack, seqLen: 64}', '{op: shuffle, bufferSize: 10}', '{op: batch, size: 4}', '{op: prefetch}')}\n${rest}`, 'p.yaml');
  assert.deepEqual(config.data.flow, [
    { op: 'tokenize' }, { op: 'pack', seqLen: 64 }, { op: 'shuffle', bufferSize: 10 }, { op: 'batch', size: 4, dropRemainder: true }, { op: 'prefetch', depth: 2 },
  ]);
  assert.equal(config.data.seqLen, 64);
  assert.equal(config.data.batchSize, 4);
  assert.equal(config.data.shuffleBuffer, 10, 'data.shuffleBuffer states what the flow does');
});

test('an unknown option is named by its key path, with the closest valid option', () => {
  const p = problems(flow('{op: tokenize}', '{op: pack}', '{op: shuffle, bufferSise: 10}', '{op: batch}'));
  assert.ok(p.some((x) => /^data\.flow\[2\]\.bufferSise: unknown option of shuffle; did you mean "bufferSize"\?/.test(x)), p.join('\n'));
  assert.ok(p.some((x) => /^data\.flow\[2\]\.bufferSize: expected a positive integer, got nothing/.test(x)), p.join('\n'));
});

test('a bad option value is named by its key path', () => {
  const p = problems(flow('{op: tokenize}', '{op: pack}', '{op: shuffle, bufferSize: -3}', '{op: batch}'));
  assert.deepEqual(p, ['data.flow[2].bufferSize: expected a positive integer, got -3']);
});

test('an unknown op gets the closest valid op', () => {
  const p = problems(flow('{op: tokenise}', '{op: pack}', '{op: batch}'));
  assert.match(p.join('\n'), /^data\.flow\[0\]\.op: unknown op "tokenise"; did you mean "tokenize"\? \(known: filter, tokenize, pack, shuffle, batch, prefetch, conversation, image, textSamples, padBatch\)/);
});

test('ops must fit together: documents in, token batches out', () => {
  assert.match(problems(flow('{op: pack}', '{op: batch}')).join('\n'), /^data\.flow\[0\]\.op: pack takes tokenized documents but gets documents \(text records with domain and provenance\); put \{op: tokenize\} before it/);
  assert.match(problems(flow('{op: tokenize}', '{op: pack}')).join('\n'), /^data\.flow: the flow must end with token batches for the trainer, but ends with packed windows/);
  assert.match(problems(flow('{op: tokenize}', '{op: filter, domains: [x]}', '{op: pack}', '{op: batch}')).join('\n'), /data\.flow\[1\]\.op: filter takes documents/);
});

test('a value stated twice must agree; data.shuffleBuffer cannot contradict the flow', () => {
  assert.match(problems(`  seqLen: 32\n${flow('{op: tokenize}', '{op: pack, seqLen: 64}', '{op: batch}')}`).join('\n'), /^data\.flow\[1\]\.seqLen: expected data\.seqLen \(32\)/);
  assert.match(problems(`  shuffleBuffer: 100\n${flow('{op: tokenize}', '{op: pack}', '{op: batch}')}`).join('\n'), /^data\.shuffleBuffer: with data\.flow, shuffling is an operator/);
});

test('sources: files with weights and domains; exactly one of data.files and data.sources', () => {
  const { config } = parsePipeline(`data:\n  sources:\n    - {files: [a.jsonl], weight: 3}\n    - {name: code, files: [b.jsonl], domains: [RedPajamaGithub]}\n${rest}`, 'p.yaml');
  assert.deepEqual(config.data.sources, [{ files: ['a.jsonl'], weight: 3 }, { name: 'code', files: ['b.jsonl'], weight: 1, domains: ['RedPajamaGithub'] }]);
  assert.match(problems('  onError: skip').join('\n'), /^data\.files: expected the training files: data\.files, or data\.sources/);
  assert.match(problems('  files: [a.jsonl]\n  sources: [{files: [b.jsonl]}]').join('\n'), /^data\.sources: expected either data\.files or data\.sources/);
  assert.match(problems('  sources: [{files: [b.jsonl], wieght: 2}]').join('\n'), /^data\.sources\[0\]\.wieght: unknown key; did you mean "weight"\?/);
});

test('a flow option set on the command line is reported as coming from --set', () => {
  try {
    parsePipeline(`data:\n${flow('{op: tokenize}', '{op: pack}', '{op: shuffle, bufferSize: 4}', '{op: batch}')}\n${rest}`, 'p.yaml', ['data.flow.2.bufferSize=0']);
    assert.fail('expected a ConfigError');
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.deepEqual(e.problems, ['data.flow[2].bufferSize: expected a positive integer, got 0 (from --set data.flow.2.bufferSize=0)']);
  }
});

const llava = '{kind: llava, files: [chat.json], images: imgs';

test('a llava source needs its image folder; images and domains belong to their kinds', () => {
  assert.match(problems(`  sources:\n    - {kind: llava, files: [chat.json], flow: [{op: conversation}]}\n  flow: [{op: padBatch}]`).join('\n'), /^data\.sources\[0\]\.images: expected the folder the records' image paths are relative to/);
  assert.match(problems(`  sources:\n    - {files: [a.jsonl], images: imgs}`).join('\n'), /^data\.sources\[0\]\.images: only a llava source has images/);
  assert.match(problems(`  sources:\n    - {kind: lava, files: [a.jsonl]}`).join('\n'), /^data\.sources\[0\]\.kind: expected one of "slimpajama", "llava"/);
});

test('image-text operators in a source\'s flow are checked from its items, errors naming the key path', () => {
  assert.match(problems(`  sources:\n    - ${llava}, flow: [{op: image}, {op: conversation}]}\n  flow: [{op: padBatch}]`).join('\n'),
    /^data\.sources\[0\]\.flow\[0\]\.op: image takes training samples .* but gets image-text records .*; put \{op: conversation\} before it/);
  assert.match(problems(`  sources:\n    - ${llava}, flow: [{op: tokenize}]}\n  flow: [{op: padBatch}]`).join('\n'),
    /^data\.sources\[0\]\.flow\[0\]\.op: tokenize takes documents .* but gets image-text records/);
  assert.match(problems(`  sources:\n    - ${llava}, flow: [{op: conversation, template: chatml}]}\n  flow: [{op: padBatch}]`).join('\n'),
    /^data\.sources\[0\]\.flow\[0\]\.template: expected one of "phi35", "plain"/);
});

test('sources meet in the mix only with the same items; data.flow continues from them to padded batches', () => {
  const both = (textFlow: string, flow: string) => `  sources:\n    - ${llava}, flow: [{op: conversation}, {op: image}]}\n    - {files: [a.jsonl]${textFlow}}\n  flow: ${flow}`;
  assert.match(problems(both('', '[{op: padBatch}]')).join('\n'),
    /^data\.sources: the sources must reach the mix with the same items, but data\.sources\[0\] gives training samples .*, data\.sources\[1\] gives documents/);
  assert.match(problems(both(', flow: [{op: tokenize}, {op: textSamples}]', '[{op: batch}]')).join('\n'),
    /^data\.flow\[0\]\.op: batch takes packed windows but gets training samples/);
  assert.match(problems(both(', flow: [{op: tokenize}, {op: textSamples}]', '[{op: image}]')).join('\n'),
    /^data\.flow: the flow must end with padded sample batches .* end it with \{op: padBatch\}/);
  assert.match(problems(`  sources:\n    - ${llava}}`).join('\n'), /^data\.flow: expected data\.flow: the sources give image-text records/);
  const { config } = parsePipeline(`data:\n${both(', flow: [{op: tokenize}, {op: textSamples}]', '[{op: padBatch, groupBy: modality}]')}\n${rest}`, 'p.yaml');
  assert.deepEqual(config.data.flow, [{ op: 'padBatch', padId: 0, groupBy: 'modality', dropRemainder: false }]);
  assert.deepEqual(config.data.sources![0]!.flow, [
    { op: 'conversation', template: 'phi35', labels: 'libmoe', imageTokens: 1 },
    { op: 'image', processor: 'clip336', aspect: 'pad', layout: 'chw', orientation: 'exif', workers: 2 },
  ]);
});
