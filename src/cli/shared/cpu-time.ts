import { readFileSync } from 'node:fs';

/**
 * CPU seconds used so far by this process (all its threads) plus its finished child processes
 * (e.g. the zstd decoder), so "cores busy" counts the whole pipeline. Children come from
 * /proc/self/stat (Linux, in USER_HZ = 100 ticks per second); elsewhere they count as 0.
 */
export function cpuSeconds(): number {
  const own = process.cpuUsage();
  return (own.user + own.system) / 1e6 + childCpuSeconds();
}

function childCpuSeconds(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime
  } catch {
    return 0;
  }
}
