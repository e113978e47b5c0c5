/**
 * Activations as the fused WebGPU kernels compute them: each one's value and its derivative, in
 * the formulas tfjs-backend-webgpu's own kernels use (ReLU as `select`, LeakyReLU with its slope,
 * σ(a) = 1 / (1 + e^−a), tanh through e^−2|a|), so a fused kernel and the composed ops differ by
 * float32 rounding only. The derivatives are tfjs's gradients: ReLU `dy·step(a)` (NaN stays
 * NaN), LeakyReLU `a > 0 ? dy : slope·dy`, tanh `dy·(1 − y²)`, σ `dy·y·(1 − y)`.
 */

export type Activation = 'linear' | 'relu' | 'leaky-relu' | 'tanh' | 'sigmoid';

/** LeakyReLU's slope travels as a uniform named `leak` in every program that uses these. */
export const ACTIVATION_UNIFORM = 'leak : f32,';

/** WGSL: `vmpActivate_<kind>(a)` and `vmpActivationGrad_<kind>(a, y, dy)` for every kind. */
export const ACTIVATION_WGSL = `
  fn vmpActivate_linear(a : f32) -> f32 { return a; }
  fn vmpActivate_relu(a : f32) -> f32 { return select(a, 0.0, a < 0.0); }
  fn vmpActivate_leaky_relu(a : f32) -> f32 { if (a < 0.0) { return uniforms.leak * a; } return a; }
  fn vmpActivate_sigmoid(a : f32) -> f32 { return 1.0 / (1.0 + exp(-1.0 * a)); }
  fn vmpActivate_tanh(a : f32) -> f32 {
    let e2x = exp(-2.0 * abs(a));
    return sign(a) * (1.0 - e2x) / (1.0 + e2x);
  }
  fn vmpActivationGrad_linear(a : f32, y : f32, dy : f32) -> f32 { return dy; }
  fn vmpActivationGrad_relu(a : f32, y : f32, dy : f32) -> f32 {
    if (isnan(a)) { return a; }
    return dy * select(0.0, 1.0, a > 0.0);
  }
  fn vmpActivationGrad_leaky_relu(a : f32, y : f32, dy : f32) -> f32 {
    return select(dy * uniforms.leak, dy, a > 0.0);
  }
  fn vmpActivationGrad_sigmoid(a : f32, y : f32, dy : f32) -> f32 { return dy * (y * (1.0 - y)); }
  fn vmpActivationGrad_tanh(a : f32, y : f32, dy : f32) -> f32 { return dy * (1.0 - y * y); }`;

/** The WGSL name suffix of an activation. */
export const wgslName = (activation: Activation) => activation.replace('-', '_');
