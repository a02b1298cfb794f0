using System.Globalization;
using DeepScratch.Layers;

namespace DeepScratch.Models;

/// <summary>
/// Half precision (chapter 8's <c>half_float_network.py</c>): a network whose weights are stored as float16
/// (<see cref="Half"/>, IEEE 754 binary16, round to nearest even) and computed in float32, as the book does with
/// <c>network.params[key].astype(np.float16)</c>. Works for any network: the chapter 3 network and every
/// <see cref="INetwork"/> (whose learnable parameters are rounded; BatchNorm's running statistics are not learned
/// weights and stay float32, as the book's conversion touches <c>params</c> only).
/// </summary>
public static class HalfPrecision
{
    /// <summary>The largest finite float16, 65504; values that round above it become ±∞ in float16.</summary>
    public const float MaxValue = 65504f;

    /// <summary>
    /// A copy of <paramref name="values"/> with every element rounded to the nearest float16 and widened back to
    /// float32 (exact: every float16 is a float32), so a float32 computation sees exactly the stored half weights.
    /// </summary>
    /// <param name="name">The tensor's name for the message (W1, b1, ...).</param>
    /// <param name="values">Any shape; NaN stays NaN.</param>
    /// <returns>A new tensor of the same shape.</returns>
    /// <exception cref="InvalidDataException">
    /// A finite value is too large for float16 (|value| ≥ 65520 rounds to ±∞): the message names the tensor, counts
    /// the values and gives the largest magnitude, rather than let an ∞ through silently.
    /// </exception>
    public static Tensor Round(string name, Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var source = values.Span;
        var rounded = new float[source.Length];
        int overflow = 0;
        float largest = 0;
        for (int i = 0; i < source.Length; i++)
        {
            float v = source[i];
            float h = (float)(Half)v;
            if (float.IsInfinity(h) && float.IsFinite(v))
            {
                overflow++;
                largest = Math.Max(largest, Math.Abs(v));
            }

            rounded[i] = h;
        }

        if (overflow > 0)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{name} cannot be stored as float16: {overflow} of its {source.Length} values exceed float16's largest value {MaxValue} (the largest |value| is {largest:G6}) and would become ∞."));
        }

        return Tensor.FromStored(rounded, values.Shape.ToArray());
    }

    /// <summary>
    /// A copy of <paramref name="model"/> whose weights are rounded through float16 (<see cref="Round"/>); the
    /// original is not changed. The copy computes in float32 and has the same architecture.
    /// </summary>
    /// <param name="model">The chapter 3 <see cref="ThreeLayerNet"/> or any <see cref="INetwork"/>.</param>
    /// <exception cref="InvalidDataException">A weight is too large for float16 (see <see cref="Round"/>).</exception>
    /// <exception cref="NotSupportedException">The classifier is neither kind (it exposes no weights to round).</exception>
    public static IClassifier ToHalfWeights(IClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        switch (model)
        {
            case ThreeLayerNet net:
                return new ThreeLayerNet(
                    Round("W1", net.W1), Round("b1", net.B1), Round("W2", net.W2), Round("b2", net.B2), Round("W3", net.W3), Round("b3", net.B3));
            case INetwork network:
                var copy = NetworkFactory.Create(network.Architecture);
                var tensors = network.Parameters.ToDictionary(p => p.Name, p => Round(p.Name, p.Value));
                foreach (var (name, buffer) in network.Buffers)
                {
                    tensors[name] = buffer;
                }

                copy.LoadParameters(tensors);
                return copy;
            default:
                throw new NotSupportedException($"{model.GetType().Name} exposes no weights to store as float16.");
        }
    }

    /// <summary>
    /// The weights <see cref="ToHalfWeights"/> rounds, by name: the chapter 3 network's W1..b3, or an
    /// <see cref="INetwork"/>'s <see cref="INetwork.Parameters"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">The classifier is neither kind.</exception>
    public static IReadOnlyList<(string Name, Tensor Value)> Weights(IClassifier model) => model switch
    {
        ThreeLayerNet net => ThreeLayerNet.Named(net).ToArray(),
        INetwork network => network.Parameters.Select(p => (p.Name, p.Value)).ToArray(),
        null => throw new ArgumentNullException(nameof(model)),
        _ => throw new NotSupportedException($"{model.GetType().Name} exposes no weights to store as float16."),
    };
}
