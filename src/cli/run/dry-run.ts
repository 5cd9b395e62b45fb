/** `pipeline run --dry-run`: the resolved pipeline on stdout and a verdict on stderr; nothing is created. */
import { stringify as toYaml } from 'yaml';
import type { Io } from '../shared/verb.js';
import type { RunPlan } from './resolve-run.js';

/** Called only after the inputs were checked (preflight), so "valid" means the run can start. */
export function dryRunReport(plan: RunPlan, io: Io): void {
  io.out(toYaml(plan.config, { lineWidth: 0 }));
  io.err(`${plan.source}: valid; inputs found${plan.kind === 'resume' ? `; would resume from checkpoint step ${plan.fromStep}` : ''}\n`);
}
