using DeepScratch.Tensors;

namespace DeepScratch.Functions;

public static partial class Activations
{
    /// <summary>The identity function: the output layer for regression returns its input as it is (the same tensor).</summary>
    public static Tensor Identity(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x;
    }
}
