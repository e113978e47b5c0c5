/**
 * Registers every custom kernel optimisation (each module registers its own at import time).
 * `selectBackend` installs the enabled ones for the backend it picks.
 */
import './conv3d';
import './lstm-cell';
import './convlstm-cell';
import './reduce';
import './matmul';
import './adam';
import './batch-norm';
import './bias-activation';
import './losses';
import './lstm-sequence';
import './recurrent-sequence';
import './softmax-cross-entropy';
import './global-norm';
import './cpu-segment-sum';
import './cpu-direct';
import './blocked-layout';
import './two-stream-compose';
