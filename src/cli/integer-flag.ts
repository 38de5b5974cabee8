/** Kept for analyze-cel until it imports flags.ts directly. */
export { parseInteger as parseIntegerFlag } from './flags.js';
