import { filter, sampleTime, type Observable, type Subscription } from 'rxjs';
import type { RunEvent, StepEvent } from '../../events/step-event.js';
import { tokensPerSecond } from '../../events/step-event.js';

export interface ProgressOptions {
  readonly totalSteps: number;
  /** On a TTY one line is rewritten in place; otherwise a line is printed per interval. */
  readonly tty: boolean;
  readonly write: (text: string) => void;
  /** Sampling period of the display (ms). */
  readonly everyMs: number;
  /** Step the run started from (resume), for ETA. */
  readonly startStep?: number;
  /** Data-parallel workers (shown when more than 1). */
  readonly workers?: number;
  readonly now?: () => number;
}

/** `1h02m`, `3m05s`, `12s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

function si(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0);
}

/** One progress line: step/total, tokens/s, loss, each aux loss, ETA. */
export function progressLine(ev: StepEvent, opts: { totalSteps: number; elapsedMs: number; stepsDone: number; workers?: number }): string {
  const r = ev.result;
  const pct = ((100 * r.step) / opts.totalSteps).toFixed(0);
  const aux = Object.entries(r.aux).map(([k, v]) => `${k} ${v.toPrecision(3)}`).join(' ');
  const perStep = opts.stepsDone > 0 ? opts.elapsedMs / opts.stepsDone : NaN;
  const eta = formatDuration(perStep * (opts.totalSteps - r.step));
  // Skipped records are shown as soon as there are any (data.onError: skip), never hidden.
  const skipped = ev.data && ev.data.skipped > 0 ? ` | skipped ${ev.data.skipped}/${ev.data.read} records` : '';
  const workers = opts.workers !== undefined && opts.workers > 1 ? ` (${opts.workers} workers)` : '';
  // A VLM step (image-text batch) also shows images/s.
  const ms = ev.timing.msData + ev.timing.msCompute + ev.timing.msStats + ev.timing.msSinks;
  const images = ev.imageText ? ` | ${si(ms > 0 ? (ev.imageText.images * 1000) / ms : 0)} img/s` : '';
  return `step ${r.step}/${opts.totalSteps} (${pct}%) | ${si(tokensPerSecond(ev))} tok/s${images}${workers} | loss ${r.loss.toFixed(4)}${aux ? ` | ${aux}` : ''}${skipped} | ETA ${eta}`;
}

/**
 * Render progress from the event plane: `sampleTime` keeps the display cheap whatever the
 * step rate (it shows the latest step of each period; no statistic depends on it).
 */
export function renderProgress(events$: Observable<RunEvent>, opts: ProgressOptions): Subscription {
  const now = opts.now ?? Date.now;
  const t0 = now();
  const start = opts.startStep ?? 0;
  let last: StepEvent | undefined;
  const sub = events$.pipe(filter((e): e is StepEvent => e.kind === 'step'), sampleTime(opts.everyMs)).subscribe((ev) => {
    last = ev;
    const line = progressLine(ev, { totalSteps: opts.totalSteps, elapsedMs: now() - t0, stepsDone: ev.result.step - start, ...(opts.workers !== undefined ? { workers: opts.workers } : {}) });
    opts.write(opts.tty ? `\r\x1b[2K${line}` : `${line}\n`);
  });
  sub.add(() => { if (opts.tty && last) opts.write('\n'); });
  // Evaluations are rare and worth a line of their own.
  sub.add(events$.pipe(filter((e) => e.kind === 'eval')).subscribe((e) => {
    if (e.kind !== 'eval') return;
    const text = `eval @ step ${e.step}: loss ${e.result.loss.toFixed(4)} | ppl ${e.result.perplexity.toFixed(2)} | acc ${(100 * e.result.accuracy).toFixed(1)}%`;
    opts.write(opts.tty ? `\r\x1b[2K${text}\n` : `${text}\n`);
  }));
  return sub;
}
