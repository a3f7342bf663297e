import type { Store } from './store.ts';

/** The SQL engine under Kysely; the store consults it only where the two engines must differ. */
export type SqlDialect = Store['kind'];
