/**
 * The one way a p-value is written, in every report format and in the viewer: enough digits to
 * read, and never "0" for a Monte Carlo estimate whose smallest possible value is 1/(R+1).
 */
export function formatPValue(p: number): string {
  if (p < 0.001) return '<0.001';
  return p.toFixed(3);
}
