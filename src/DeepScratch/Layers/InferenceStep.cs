using DeepScratch.Kernels;

namespace DeepScratch.Layers;

/// <summary>
/// What a layer computes at inference, described so that the inference engine (<see cref="Models.InferenceEngine"/>)
/// can fold and fuse layers without knowing their types: a layer answers <see cref="ILayer.Inference"/> with one of
/// the nested kinds. Tensors are the layer's own (not copied): the engine reads them once when it compiles.
/// </summary>
public abstract record InferenceStep
{
    private InferenceStep()
    {
    }

    /// <summary>y = x·W + b over the flattened example (book order, NCHW for images).</summary>
    /// <param name="Weights">(inputs, outputs).</param>
    /// <param name="Bias">(outputs,).</param>
    public sealed record Linear(Tensor Weights, Tensor Bias) : InferenceStep;

    /// <summary>A convolution of images (C, H, W) with filters (FN, C, FH, FW), one bias per filter, a stride and zero padding.</summary>
    /// <param name="Filters">(FN, C, FH, FW).</param>
    /// <param name="Bias">(FN,).</param>
    /// <param name="Stride">The step between filter positions, both axes.</param>
    /// <param name="Pad">Zeros added on each side, both axes.</param>
    public sealed record Convolution(Tensor Filters, Tensor Bias, int Stride, int Pad) : InferenceStep;

    /// <summary>
    /// y = x·scale + shift per feature of the flattened example (book order): BatchNorm at inference
    /// (scale = γ/√(var+ε), shift = β − μ·scale), or Dropout's (1 − ratio) with one scale for every feature.
    /// </summary>
    /// <param name="Scale">(features,), or (1,) for one scale of every feature.</param>
    /// <param name="Shift">(features,), (1,), or null for none.</param>
    public sealed record ScaleShift(Tensor Scale, Tensor? Shift) : InferenceStep;

    /// <summary>An element-wise activation (<see cref="Activation.Relu"/> or <see cref="Activation.Sigmoid"/>).</summary>
    /// <param name="Function">The activation.</param>
    public sealed record Activate(Activation Function) : InferenceStep;

    /// <summary>Max pooling of images (C, H, W) with a window, a stride and zero padding (padding counts as 0, as im2col's).</summary>
    /// <param name="PoolH">Window height.</param>
    /// <param name="PoolW">Window width.</param>
    /// <param name="Stride">The step between windows, both axes.</param>
    /// <param name="Pad">Zeros added on each side, both axes.</param>
    public sealed record MaxPool(int PoolH, int PoolW, int Stride, int Pad) : InferenceStep;
}
