using System.Numerics.Tensors;
using DeepScratch.Functions;

namespace DeepScratch.Models;

/// <summary>
/// The perceptron of chapter 2: weights times inputs plus a bias, through the step function.
/// It fires (outputs 1) when <c>w·x + b &gt; 0</c>.
/// </summary>
public sealed class Perceptron
{
    private readonly float[] _weights;

    /// <summary>Creates a perceptron with one weight per input and a bias.</summary>
    public Perceptron(float[] weights, float bias)
    {
        ArgumentNullException.ThrowIfNull(weights);
        _weights = (float[])weights.Clone();
        Bias = bias;
    }

    /// <summary>The weights, one per input.</summary>
    public IReadOnlyList<float> Weights => _weights;

    /// <summary>The bias, which sets how easily the perceptron fires.</summary>
    public float Bias { get; }

    /// <summary>The output (0 or 1) for the given inputs.</summary>
    /// <exception cref="ArgumentException">The number of inputs differs from the number of weights.</exception>
    public int Fire(params float[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length != _weights.Length)
        {
            throw new ArgumentException($"This perceptron takes {_weights.Length} inputs, not {inputs.Length}.", nameof(inputs));
        }

        float sum = TensorPrimitives.Dot<float>(_weights, inputs) + Bias;
        return (int)Activations.Step(sum);
    }
}
