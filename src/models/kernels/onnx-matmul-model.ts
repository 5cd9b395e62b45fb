/**
 * The smallest ONNX model that multiplies two float32 tensors: one `com.microsoft.FusedMatMul`
 * node (numpy matmul broadcasting over leading dimensions, optional transposes of the last two),
 * inputs `A` and `B` and output `Y` of unknown shape, so one session serves every shape.
 * Written as protobuf bytes here (ModelProto, onnx.proto3 field numbers) rather than shipped as
 * a file or built with a protobuf library: it is a few dozen bytes.
 */

const FLOAT = 1;
const ATTRIBUTE_INT = 2;

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    out.push(byte);
  } while (v > 0);
  return out;
}

/** Field `field` with wire type 0 (varint). */
const int = (field: number, value: number): number[] => [...varint(field << 3), ...varint(value)];
/** Field `field` with wire type 2 (length-delimited). */
const message = (field: number, body: number[]): number[] => [...varint((field << 3) | 2), ...varint(body.length), ...body];
const text = (field: number, s: string): number[] => message(field, [...Buffer.from(s, 'utf8')]);

/** ValueInfoProto: a float tensor of unknown shape. */
const floatTensor = (field: number, name: string): number[] =>
  message(field, [...text(1, name), ...message(2, message(1, int(1, FLOAT)))]);

/** AttributeProto of type INT. */
const intAttribute = (name: string, value: number): number[] => message(5, [...text(1, name), ...int(3, value), ...int(20, ATTRIBUTE_INT)]);

export function fusedMatMulModel(transA: boolean, transB: boolean): Uint8Array {
  const node = message(1, [
    ...text(1, 'A'), ...text(1, 'B'), ...text(2, 'Y'), ...text(4, 'FusedMatMul'),
    ...intAttribute('transA', transA ? 1 : 0), ...intAttribute('transB', transB ? 1 : 0),
    ...text(7, 'com.microsoft'),
  ]);
  const graph = [...node, ...text(2, 'matmul'), ...floatTensor(11, 'A'), ...floatTensor(11, 'B'), ...floatTensor(12, 'Y')];
  const model = [
    ...int(1, 8), // ir_version
    ...message(8, [...text(1, ''), ...int(2, 17)]), // opset_import: ai.onnx 17
    ...message(8, [...text(1, 'com.microsoft'), ...int(2, 1)]),
    ...message(7, graph),
  ];
  return Uint8Array.from(model);
}
