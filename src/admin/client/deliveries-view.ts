/** Placeholder until the delivery API lands (issue 6). */
export function createDeliveriesView() {
  return { refresh: async () => {} };
}
