/**
 * Sample-view groups the runtime adds to every model's samples (models add their own groups, such
 * as 'fixed-noise'). Pure constants, shared by the run worker and the UI.
 */

/**
 * The first held-out sequences themselves, as the run sees them (its frames and size): every run
 * with the same data spec is scored on the same sequences, so the compare view shows them side
 * by side with each run's outputs.
 */
export const HELD_OUT_GROUP = 'held-out';
