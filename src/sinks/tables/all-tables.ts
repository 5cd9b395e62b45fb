/**
 * Every statistics table of a run, in the order docs/run.md lists them. The sink prepares
 * (cleans, resumes) each of them on open and the docs test checks each is documented, so a
 * new table file is registered here once.
 */
import type { TableSpec } from '../table-spec.js';
import { DATA } from './data.js';
import { evalTable } from './eval.js';
import { metricsTable } from './metrics.js';
import { domainsTable } from './routing-domains.js';
import { expertsTable } from './routing-experts.js';
import { layersTable } from './routing-layers.js';
import { tokensTable } from './routing-tokens.js';

/** Layouts of all tables; `auxNames` fill the router-dependent aux columns of metrics and routing/layers. */
export function allTableSpecs(auxNames: readonly string[] = []): TableSpec[] {
  return [metricsTable(auxNames).spec, evalTable.spec, expertsTable.spec, layersTable(auxNames).spec, domainsTable.spec, tokensTable.spec, DATA];
}
