namespace DeepScratch.Layers;

/// <summary>
/// A layer of the book's chapters 5-6: <see cref="Forward"/> computes the output and remembers what
/// <see cref="Backward"/> needs to turn the output's gradient into the input's (and its parameters') gradients.
/// </summary>
public interface ILayer
{
    /// <summary>The layer's learnable parameters (empty for activations).</summary>
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>
    /// State tensors that hold variances, which a loaded model must not make negative (their square root would be NaN):
    /// BatchNorm's running variance; empty by default.
    /// </summary>
    IReadOnlyList<Tensor> Variances => [];

    /// <summary>The output for input <paramref name="x"/>; <paramref name="train"/> switches Dropout and BatchNorm to training behaviour.</summary>
    Tensor Forward(Tensor x, bool train);

    /// <summary>dLoss/dx from dLoss/dy, filling each parameter's <see cref="Parameter.Grad"/>; call after <see cref="Forward"/>.</summary>
    Tensor Backward(Tensor dout);

    /// <summary>
    /// Only the parameter half of <see cref="Backward"/>: fills each <see cref="Parameter.Grad"/> without dLoss/dx, for
    /// the first layer, whose input (the images) needs no gradient. By default the full <see cref="Backward"/>; a
    /// layer whose dx costs work of its own (Affine's dout·Wᵀ, a convolution's) overrides it to skip that work.
    /// </summary>
    void BackwardParameters(Tensor dout) => Backward(dout);

    /// <summary>
    /// What the layer computes at inference, for the compiled engine (<see cref="Models.InferenceEngine"/>); null (the
    /// default) for a layer that cannot describe itself, whose network then predicts layer by layer.
    /// </summary>
    InferenceStep? Inference => null;
}
