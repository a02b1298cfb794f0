namespace DeepScratch.Training.Optimizers;

/// <summary>
/// What AdaGrad, RMSprop and Adam share in their step <c>param -= lr * numerator / (sqrt(h) + 1e-7)</c> (the fused
/// passes themselves are in <see cref="FusedUpdate"/> and <see cref="Adam"/>).
/// </summary>
internal static class AdaptiveStep
{
    /// <summary>The book's epsilon, added to <c>sqrt(h)</c> so a zero history does not divide by zero.</summary>
    public const float Epsilon = 1e-7f;
}
