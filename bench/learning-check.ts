/**
 * The quickstart's learning criterion as JSON: the mean training loss over the last tenth of
 * the steps must be below 80% of the mean over the first tenth.
 * Usage: node dist/bench/learning-check.js RUN_DIR   (a finished `pipeline run pipelines/quickstart.yaml`)
 * Exit code 1 when the criterion is not met.
 */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const runDir = process.argv[2];
if (!runDir) {
  console.error('usage: node dist/bench/learning-check.js RUN_DIR');
  process.exit(2);
}
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const r = await con.runAndReadAll(`
  WITH m AS (SELECT step, loss FROM read_parquet('${join(runDir, 'metrics')}-*.parquet')),
       n AS (SELECT max(step) AS steps, greatest(1, max(step) // 10) AS tenth FROM m)
  SELECT n.steps::INT steps, n.tenth::INT tenth,
         avg(loss) FILTER (WHERE step <= n.tenth)::DOUBLE first_mean,
         avg(loss) FILTER (WHERE step > n.steps - n.tenth)::DOUBLE last_mean
  FROM m, n GROUP BY n.steps, n.tenth`);
const row = r.getRowObjectsJS()[0] as { steps: number; tenth: number; first_mean: number; last_mean: number };
con.closeSync();
db.closeSync();
const ratio = row.last_mean / row.first_mean;
const ok = ratio < 0.8;
console.log(JSON.stringify({ check: 'learning', runDir, steps: row.steps, tenth: row.tenth, firstTenthMeanLoss: row.first_mean, lastTenthMeanLoss: row.last_mean, ratio, threshold: 0.8, ok }, null, 2));
process.exit(ok ? 0 : 1);
