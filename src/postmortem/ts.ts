/** Slack ts strings ("1690107420.000100") in time order; a string compare fails across digit counts. */
export function compareTs(a: string, b: string): number {
  const [as = '0', af = ''] = a.split('.');
  const [bs = '0', bf = ''] = b.split('.');
  if (as.length !== bs.length) return as.length - bs.length;
  if (as !== bs) return as < bs ? -1 : 1;
  const x = af.padEnd(6, '0');
  const y = bf.padEnd(6, '0');
  return x === y ? 0 : x < y ? -1 : 1;
}
