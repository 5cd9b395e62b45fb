/**
 * A document as the text sources deliver it: `{ text, domain, provenance: { file, line } }`
 * (line 1-based). Defined by the SlimPajama source; any source with these fields plugs into
 * `tokenize`.
 */
import type { TextRecord } from '../../streams/index.js';

export type { TextRecord };
export type Provenance = TextRecord['provenance'];
