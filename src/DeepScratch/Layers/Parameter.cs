namespace DeepScratch.Layers;

/// <summary>
/// A learnable tensor (the book's <c>params['W1']</c>) with the gradient its layer's <c>Backward</c> last computed
/// (<c>grads['W1']</c>): what optimizers update and model files store.
/// </summary>
public sealed class Parameter
{
    /// <summary>Wraps <paramref name="value"/> (not copied) under <paramref name="name"/>, with a zero gradient.</summary>
    /// <param name="name">The book's name, e.g. W1.</param>
    /// <param name="value">The tensor, any shape.</param>
    /// <param name="weightDecay">
    /// Whether the L2 weight decay covers it: true for weights (Affine's W, a convolution's filters), false for biases
    /// and BatchNorm's gamma and beta, as the book's <c>multi_layer_net.py</c> decays only the W's.
    /// </param>
    public Parameter(string name, Tensor value, bool weightDecay = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(value);
        Name = name;
        Value = value;
        WeightDecay = weightDecay;
        Grad = Tensor.Zeros(value.Shape.ToArray());
    }

    /// <summary>The book's name for it: W1, b1, gamma1, beta1, ...</summary>
    public string Name { get; }

    /// <summary>
    /// The current value, updated in place by optimizers, loads, numerical-gradient probes or the learner's own code;
    /// no announcement is needed: layers read it afresh at every Forward.
    /// </summary>
    public Tensor Value { get; }

    /// <summary>Whether the network's weight decay adds 0.5·λ·ΣValue² to the loss and λ·Value to <see cref="Grad"/>.</summary>
    public bool WeightDecay { get; }

    /// <summary>dLoss/dValue from the last backward pass, same shape as <see cref="Value"/>.</summary>
    public Tensor Grad { get; }
}
