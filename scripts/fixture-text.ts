/**
 * Text generators for the fixture corpus, one per RedPajama domain. Every word list and
 * template below was written for moeflow; the seeded RNG picks and combines them, so each
 * domain has its own vocabulary and layout (what per-domain routing statistics should see).
 */
import type { Rng } from '../src/base/random.js';

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[r.int(xs.length)]!;
const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const repeat = (r: Rng, lo: number, hi: number, f: () => string, sep = ' '): string =>
  Array.from({ length: lo + r.int(hi - lo + 1) }, f).join(sep);

const PLACES = ['Valmora', 'Eastbridge', 'Kettering Falls', 'Lake Orrin', 'Port Sable', 'Mirecourt', 'Halden', 'Sørvik', 'Brackwater', 'Tellan Heights', 'Quillon', 'São Arvel'];
const PEOPLE = ['Ada Merrow', 'Tomas Greel', 'Ines Calloway', 'Rufus Penn', 'Mara Okonkwo', 'Jun Harlow', 'Elsa Brandt', 'Pieter Vos', 'Leona Whitcombe', 'Kofi Adair'];
const NOUNS = ['garden', 'market', 'bridge', 'library', 'harbour', 'festival', 'council', 'railway', 'orchard', 'school', 'museum', 'workshop', 'bakery', 'river', 'stadium', 'clinic'];
const ADJ = ['quiet', 'busy', 'historic', 'modern', 'small', 'famous', 'local', 'old', 'new', 'bright', 'rural', 'coastal', 'northern', 'popular'];
const VERBS = ['opened', 'closed', 'expanded', 'celebrated', 'renovated', 'welcomed', 'announced', 'hosted', 'rebuilt', 'funded'];

function sentenceWeb(r: Rng): string {
  const forms = [
    () => `The ${pick(r, ADJ)} ${pick(r, NOUNS)} in ${pick(r, PLACES)} ${pick(r, VERBS)} its doors to visitors this ${pick(r, ['spring', 'summer', 'autumn', 'winter'])}.`,
    () => `${pick(r, PEOPLE)} said the ${pick(r, NOUNS)} would be ${pick(r, ['free', 'open late', 'closed on Mondays', 'ready by June'])}.`,
    () => `Click here to ${pick(r, ['subscribe', 'read more', 'book a table', 'download the guide', 'contact us'])}.`,
    () => `Our ${pick(r, ADJ)} ${pick(r, ['shoes', 'lamps', 'tents', 'kettles', 'bikes', 'chairs'])} ship within ${2 + r.int(9)} days and cost $${10 + r.int(190)}.${r.int(100).toString().padStart(2, '0')}.`,
    () => `Residents of ${pick(r, PLACES)} can ${pick(r, ['vote', 'apply', 'register', 'volunteer'])} online until ${1 + r.int(28)} ${pick(r, ['March', 'April', 'May', 'October'])}.`,
    () => `${cap(pick(r, ADJ))} ${pick(r, NOUNS)}s are ${pick(r, ['a great place to relax', 'worth a visit', 'good for families', 'often crowded at noon'])}.`,
  ];
  return pick(r, forms)();
}

function commonCrawl(r: Rng): string {
  const title = `${cap(pick(r, ADJ))} ${pick(r, NOUNS)} guide | ${pick(r, PLACES)}`;
  const paras = repeat(r, 3, 7, () => repeat(r, 3, 6, () => sentenceWeb(r)), '\n\n');
  return `${title}\n\n${paras}\n\nHome | About | Privacy | © ${2010 + r.int(14)}`;
}

function c4(r: Rng): string {
  return repeat(r, 4, 12, () => sentenceWeb(r));
}

const FN = ['parse', 'load', 'merge', 'split', 'count', 'render', 'encode', 'flush', 'route', 'score', 'filter', 'resolve'];
const OBJ = ['config', 'tokens', 'batch', 'record', 'buffer', 'header', 'user', 'layer', 'expert', 'path', 'cache', 'entry'];
function codeTs(r: Rng): string {
  const f = `${pick(r, FN)}${cap(pick(r, OBJ))}`;
  const a = pick(r, OBJ), b = pick(r, OBJ);
  const body = repeat(r, 2, 6, () => pick(r, [
    `  const ${b}s = ${a}.filter((x) => x.${pick(r, ['size', 'id', 'count', 'weight'])} > ${r.int(64)});`,
    `  if (!${a}) throw new Error('${f}: missing ${a}');`,
    `  for (const item of ${a}s) total += item.${pick(r, ['size', 'count', 'score'])};`,
    `  // ${pick(r, ['keep order stable', 'avoid a copy here', 'ids are 0-based', 'see issue #' + (10 + r.int(900))])}`,
    `  ${b} = await ${pick(r, FN)}(${a}, { limit: ${1 + r.int(1024)} });`,
  ]), '\n');
  return `export async function ${f}(${a}: ${cap(a)}[]): Promise<number> {\n  let total = 0;\n  let ${b}: unknown;\n${body}\n  return total;\n}\n`;
}
function codePy(r: Rng): string {
  const f = `${pick(r, FN)}_${pick(r, OBJ)}`;
  const a = pick(r, OBJ);
  const body = repeat(r, 2, 6, () => pick(r, [
    `    if ${a} is None:\n        raise ValueError("${f}: ${a} is required")`,
    `    result = [x for x in ${a} if x.${pick(r, ['size', 'count'])} > ${r.int(32)}]`,
    `    # ${pick(r, ['TODO: vectorise', 'sorted by key', 'tolerates empty input'])}`,
    `    total += sum(len(x) for x in ${a})`,
  ]), '\n');
  return `def ${f}(${a}, limit=${1 + r.int(100)}):\n    """${cap(pick(r, FN))} the ${a} and return a count."""\n    total = 0\n    result = []\n${body}\n    return total\n`;
}
function github(r: Rng): string {
  const header = pick(r, ['// SPDX-License-Identifier: MIT\n', '# Copyright the project authors.\n', '']);
  return header + repeat(r, 2, 5, () => (r.next() < 0.5 ? codeTs(r) : codePy(r)), '\n');
}

const CHARS = ['Wren', 'Oswin', 'Hollis', 'Marguerite', 'Bastian', 'Clementine', 'Ivo', 'Rosalind'];
function book(r: Rng): string {
  const hero = pick(r, CHARS), other = pick(r, CHARS);
  const line = (): string => pick(r, [
    `${hero} walked along the ${pick(r, ['lane', 'shore', 'ridge', 'corridor'])} and thought of ${other}.`,
    `"${pick(r, ['You came back', 'It is late', 'We must leave at dawn', 'I never meant it'])}," said ${pick(r, [hero, other])}, ${pick(r, ['softly', 'at last', 'without turning', 'laughing'])}.`,
    `The ${pick(r, ['wind', 'rain', 'lamp-light', 'silence'])} ${pick(r, ['pressed against the windows', 'filled the hall', 'settled over the town', 'would not lift'])}.`,
    `${other} had kept the ${pick(r, ['letter', 'key', 'map', 'ring'])} in a drawer for ${2 + r.int(20)} years.`,
  ]);
  const chapters = repeat(r, 2, 4, () => `CHAPTER ${pick(r, ['I', 'II', 'III', 'IV', 'V', 'VI'])}\n\n${repeat(r, 4, 8, () => repeat(r, 3, 7, line), '\n\n')}`, '\n\n');
  return chapters;
}

const FIELDS = ['sparse mixture-of-experts', 'load balancing', 'router entropy', 'token routing', 'expert specialisation', 'gradient noise'];
function arxiv(r: Rng): string {
  const topic = pick(r, FIELDS);
  const eq = (): string => pick(r, [
    `\\begin{equation}\n  \\mathcal{L}_{\\text{bal}} = \\alpha E \\sum_{e=1}^{E} f_e \\, P_e\n\\end{equation}`,
    `$p_{t,e} = \\mathrm{softmax}(W x_t)_e$`,
    `$\\mathrm{MaxVio} = \\max_e L_e / \\bar{L} - 1$`,
    `\\begin{align}\n  h_t &= x_t + \\sum_{k=1}^{K} g_{t,k} \\, \\mathrm{FFN}_{e_k}(x_t)\n\\end{align}`,
  ]);
  const sent = (): string => pick(r, [
    `We study ${topic} in models with ${4 + r.int(124)} experts and top-${1 + r.int(8)} routing.`,
    `Our analysis shows that ${pick(r, FIELDS)} improves perplexity by ${(r.next() * 3).toFixed(2)} points.`,
    `Let $E$ denote the number of experts and $K$ the number selected per token.`,
    `Theorem ${1 + r.int(5)} bounds the variance of the estimator under mild assumptions.`,
    `Table~\\ref{tab:${pick(r, OBJ)}} reports results averaged over ${2 + r.int(5)} seeds.`,
  ]);
  return `\\section{${cap(topic)}}\n${repeat(r, 3, 6, sent)}\n\n${eq()}\n\n${repeat(r, 3, 6, sent)}\n\\subsection{Experiments}\n${repeat(r, 2, 5, sent)}`;
}

function wikipedia(r: Rng): string {
  const place = pick(r, PLACES);
  const year = 1700 + r.int(300);
  const body = repeat(r, 4, 9, () => pick(r, [
    `${place} is a ${pick(r, ['town', 'municipality', 'village', 'port city'])} in the ${pick(r, ['northern', 'eastern', 'central', 'coastal'])} region, with a population of ${1000 + r.int(90000)} (${2000 + r.int(23)} census).`,
    `The ${pick(r, NOUNS)} was founded in ${year} by ${pick(r, PEOPLE)}.`,
    `During the ${pick(r, ['18th', '19th', '20th'])} century the economy depended on ${pick(r, ['fishing', 'textiles', 'mining', 'trade', 'agriculture'])}.`,
    `It is twinned with ${pick(r, PLACES)}.`,
    `The climate is ${pick(r, ['oceanic', 'continental', 'temperate', 'subarctic'])}, with a mean July temperature of ${12 + r.int(15)} °C.`,
  ]));
  return `${place}\n\n${body}\n\n== History ==\n${repeat(r, 2, 4, () => `In ${year + r.int(200)}, the ${pick(r, NOUNS)} was ${pick(r, VERBS)}.`)}\n\n== See also ==\n* ${pick(r, PLACES)}`;
}

function stackExchange(r: Rng): string {
  const thing = pick(r, OBJ);
  const q = `Q: How do I ${pick(r, FN)} a ${thing} without ${pick(r, ['copying it', 'blocking the loop', 'losing the order', 'running out of memory'])}?\n\n` +
    `I tried \`${pick(r, FN)}(${thing})\` but it ${pick(r, ['throws a TypeError', 'returns undefined', 'hangs forever', 'is very slow'])} when the ${thing} has more than ${10 ** (2 + r.int(4))} entries.`;
  const answers = repeat(r, 1, 3, () => `A (score ${r.int(50)}): ${pick(r, [
    `Use a streaming ${pick(r, FN)} and keep the ${thing} in a bounded buffer.`,
    `You are calling it on the wrong ${pick(r, OBJ)}; pass the ${thing} itself.`,
    `This is a known issue; upgrade to version ${1 + r.int(5)}.${r.int(10)} or set \`limit\` explicitly.`,
    `Sort first, then ${pick(r, FN)}: it is O(n log n) instead of O(n^2).`,
  ])}`, '\n\n');
  return `${q}\n\n${answers}`;
}

export const DOMAIN_WRITERS: Readonly<Record<string, (r: Rng) => string>> = {
  RedPajamaCommonCrawl: commonCrawl,
  RedPajamaC4: c4,
  RedPajamaGithub: github,
  RedPajamaBook: book,
  RedPajamaArXiv: arxiv,
  RedPajamaWikipedia: wikipedia,
  RedPajamaStackExchange: stackExchange,
};
