using System.Globalization;

namespace DeepScratch.Layers;

/// <summary>
/// Initial weights (chapter 6): Gaussian values scaled by a standard deviation chosen for the activation, drawn from a
/// seeded <see cref="Random"/> by Box-Muller, so the same seed gives bit-identical networks.
/// </summary>
public static class WeightInit
{
    /// <summary>
    /// What <see cref="Std"/> accepts, for messages and help text: the schemes (with the book's names for them) and a
    /// fixed standard deviation.
    /// </summary>
    public const string Choices = "he (the book's relu), xavier (sigmoid) or a positive standard deviation such as 0.01";

    /// <summary>
    /// The standard deviation for a layer with <paramref name="fanIn"/> inputs: "he" (or the book's "relu") √(2/n),
    /// "xavier" (or "sigmoid") √(1/n), or a number such as "0.01" used as it is.
    /// </summary>
    /// <exception cref="ArgumentException">The name is neither a known scheme nor a positive number.</exception>
    public static double Std(string init, int fanIn)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fanIn, 1);
        if (FixedStd(init) is double std)
        {
            return std;
        }

        return init.Trim().ToLowerInvariant() is "he" or "relu" ? Math.Sqrt(2.0 / fanIn) : Math.Sqrt(1.0 / fanIn);
    }

    /// <summary>
    /// Checks <paramref name="init"/> (the one parser of init specs) and returns the standard deviation it fixes: the
    /// number for "0.01", or null for a scheme ("he", "relu", "xavier", "sigmoid") whose deviation depends on the fan-in.
    /// </summary>
    /// <exception cref="ArgumentException">The text is neither a known scheme nor a finite positive number.</exception>
    public static double? FixedStd(string init)
    {
        ArgumentNullException.ThrowIfNull(init);
        if (init.Trim().ToLowerInvariant() is "he" or "relu" or "xavier" or "sigmoid")
        {
            return null;
        }

        if (double.TryParse(init, NumberStyles.Float, CultureInfo.InvariantCulture, out double std) && std > 0 && double.IsFinite(std))
        {
            return std;
        }

        throw new ArgumentException($"The weight initialisation must be {Choices}; got '{init}'.", nameof(init));
    }

    /// <summary>The book's <c>std * np.random.randn(*shape)</c>: a new tensor of independent N(0, std²) values.</summary>
    public static Tensor Normal(Random random, double std, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(random);
        var result = Tensor.Zeros(shape);
        var span = result.Span;
        for (int i = 0; i < span.Length; i += 2)
        {
            // Box-Muller: two uniforms give two independent standard normals. 1 - u keeps the log's argument in (0, 1].
            double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble()));
            double angle = 2.0 * Math.PI * random.NextDouble();
            span[i] = (float)(std * radius * Math.Cos(angle));
            if (i + 1 < span.Length)
            {
                span[i + 1] = (float)(std * radius * Math.Sin(angle));
            }
        }

        return result;
    }
}
