using DeepScratch.Tensors;

namespace DeepScratch.Functions;

public static partial class Activations
{
    /// <summary>The step function: 1 where x &gt; 0, else 0 (the perceptron's activation).</summary>
    public static Tensor Step(Tensor x) => Apply(x, static (src, dst) =>
    {
        for (int i = 0; i < src.Length; i++)
        {
            dst[i] = src[i] > 0f ? 1f : 0f;
        }
    });

    /// <summary>The step function of one value.</summary>
    public static float Step(float x) => x > 0f ? 1f : 0f;
}
