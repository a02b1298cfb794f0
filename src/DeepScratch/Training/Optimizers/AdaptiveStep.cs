using System.Numerics.Tensors;

namespace DeepScratch.Training.Optimizers;

/// <summary>
/// The step AdaGrad, RMSprop and Adam share: <c>param -= lr * numerator / (sqrt(h) + 1e-7)</c>, one vectorised
/// pass per operation through a scratch span. The 1e-7 is the book's guard against dividing by zero.
/// </summary>
internal static class AdaptiveStep
{
    /// <summary>The book's epsilon, added to <c>sqrt(h)</c> so a zero history does not divide by zero.</summary>
    public const float Epsilon = 1e-7f;

    /// <summary>Applies <c>value -= learningRate * numerator / (sqrt(history) + 1e-7)</c> in place.</summary>
    public static void Apply(Span<float> value, ReadOnlySpan<float> numerator, ReadOnlySpan<float> history,
        float learningRate, Span<float> scratch)
    {
        TensorPrimitives.Sqrt(history, scratch);
        TensorPrimitives.Add(scratch, Epsilon, scratch);
        TensorPrimitives.Divide(numerator, scratch, scratch);
        TensorPrimitives.MultiplyAdd(scratch, -learningRate, value, value);
    }
}
