export async function main(argv: string[]): Promise<number> {
  console.log('pipeline', argv.join(' '));
  return 0;
}
