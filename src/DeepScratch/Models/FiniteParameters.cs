using System.Numerics.Tensors;

namespace DeepScratch.Models;

/// <summary>
/// The non-finite rule: a network parameter (weight, bias, BatchNorm statistic) must not hold NaN or ±∞, since one such
/// value spoils every prediction that touches it (0·NaN and 0·∞ are NaN). Every load path checks it: pickles,
/// safetensors, <c>convert</c>, the network constructors and <see cref="INetwork.LoadParameters"/>. A file gets an
/// <see cref="InvalidDataException"/> (the usual causes: a pickle copied in text mode, CR LF → LF, which turns bytes
/// into NaN; weights cast to float16, where large values become ∞); tensors passed in code get an
/// <see cref="ArgumentException"/>. Both messages name the array and count its NaN and infinite values.
/// </summary>
internal static class FiniteParameters
{
    /// <summary>Throws when <paramref name="values"/> holds a NaN or ±∞.</summary>
    /// <param name="source">The file the array came from, or null for a tensor passed in code.</param>
    /// <param name="name">The array's name (W1, b1, ...).</param>
    /// <param name="values">The array.</param>
    /// <exception cref="InvalidDataException">A value is not finite and <paramref name="source"/> names a file.</exception>
    /// <exception cref="ArgumentException">A value is not finite and <paramref name="source"/> is null.</exception>
    public static void ThrowIfNotFinite(string? source, string name, Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var span = values.Span;
        if (TensorPrimitives.IsFiniteAll<float>(span))
        {
            return;
        }

        int nan = 0, infinity = 0;
        foreach (float v in span)
        {
            nan += float.IsNaN(v) ? 1 : 0;
            infinity += float.IsInfinity(v) ? 1 : 0;
        }

        string counts = $"{name} holds {nan} NaN and {infinity} infinite value{(infinity == 1 ? "" : "s")} (of {span.Length})";
        if (source is null)
        {
            throw new ArgumentException($"{counts}: a network's parameters must be finite (0·NaN is NaN, so one such value spoils every prediction).", name);
        }

        throw new InvalidDataException($"{source}: {counts}: the file is damaged (a text-mode copy or a float16 cast?); get a fresh copy.");
    }
}
