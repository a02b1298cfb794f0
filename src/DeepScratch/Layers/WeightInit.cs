using System.Globalization;

namespace DeepScratch.Layers;

/// <summary>
/// Initial weights (chapter 6): Gaussian values scaled by a standard deviation chosen for the activation, drawn from a
/// seeded <see cref="Random"/> by Box-Muller, so the same seed gives bit-identical networks.
/// </summary>
public static class WeightInit
{
    /// <summary>
    /// The standard deviation for a layer with <paramref name="fanIn"/> inputs: "he" (or the book's "relu") √(2/n),
    /// "xavier" (or "sigmoid") √(1/n), or a number such as "0.01" used as it is.
    /// </summary>
    /// <exception cref="ArgumentException">The name is neither a known scheme nor a positive number.</exception>
    public static double Std(string init, int fanIn)
    {
        ArgumentNullException.ThrowIfNull(init);
        ArgumentOutOfRangeException.ThrowIfLessThan(fanIn, 1);
        switch (init.Trim().ToLowerInvariant())
        {
            case "he" or "relu":
                return Math.Sqrt(2.0 / fanIn);
            case "xavier" or "sigmoid":
                return Math.Sqrt(1.0 / fanIn);
        }

        if (double.TryParse(init, NumberStyles.Float, CultureInfo.InvariantCulture, out double std) && std > 0 && double.IsFinite(std))
        {
            return std;
        }

        throw new ArgumentException($"Unknown weight initialisation \"{init}\": use \"he\", \"xavier\" or a positive standard deviation such as \"0.01\".", nameof(init));
    }

    /// <summary>Whether <paramref name="init"/> names a scheme or a valid standard deviation (what <see cref="Std"/> accepts).</summary>
    public static bool IsValid(string init)
    {
        try
        {
            Std(init, 1);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The book's <c>std * np.random.randn(*shape)</c>: a new tensor of independent N(0, std²) values.</summary>
    public static Tensor Normal(Random random, double std, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(random);
        var result = new Tensor(shape);
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
