namespace DeepScratch.Layers;

/// <summary>
/// A learnable tensor (the book's <c>params['W1']</c>) with the gradient its layer's <c>Backward</c> last computed
/// (<c>grads['W1']</c>): what optimizers update and model files store.
/// </summary>
public sealed class Parameter
{
    /// <summary>Wraps <paramref name="value"/> (not copied) under <paramref name="name"/>, with a zero gradient.</summary>
    public Parameter(string name, Tensor value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(value);
        Name = name;
        Value = value;
        Grad = new Tensor(value.Shape.ToArray());
    }

    /// <summary>The book's name for it: W1, b1, gamma1, beta1, ...</summary>
    public string Name { get; }

    /// <summary>The current value, updated in place by optimizers.</summary>
    public Tensor Value { get; }

    /// <summary>dLoss/dValue from the last backward pass, same shape as <see cref="Value"/>.</summary>
    public Tensor Grad { get; }
}
