// Settings the benchmarks read from the environment.

/** An integer setting, `fallback` when unset; anything else than an integer >= `min` is a mistake worth stopping for. */
export function intEnv(name: string, fallback: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, not "${raw}"`);
  return value;
}
