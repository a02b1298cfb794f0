using DeepScratch.Functions;
using DeepScratch.Kernels;

namespace DeepScratch.Models;

/// <summary>
/// The fast path of <see cref="ThreeLayerNet.Predict"/>: weights packed once for the GEMM kernels, bias and sigmoid
/// fused into each layer's output tiles, MNIST bytes divided by 255 as they are read, and every buffer reused, so a
/// batch allocates nothing on the single-threaded path. Not thread-safe: use one predictor per thread.
/// </summary>
public sealed unsafe class FusedPredictor
{
    private readonly Layer[] _layers;
    private readonly float[][] _activations;

    internal FusedPredictor(ThreeLayerNet network, int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        MaxBatch = maxBatch;
        InputSize = network.InputShape[0];
        Classes = network.Classes;
        _layers =
        [
            new Layer(network.W1, network.B1, Activation.Sigmoid),
            new Layer(network.W2, network.B2, Activation.Sigmoid),
            new Layer(network.W3, network.B3, network.Classes <= PackedMatrix.PanelWidth ? Activation.Softmax : Activation.None),
        ];
        _activations = _layers.Select(l => GC.AllocateArray<float>(maxBatch * l.Outputs, pinned: true)).ToArray();
    }

    /// <summary>The most examples one call may pass.</summary>
    public int MaxBatch { get; }

    /// <summary>Inputs per example (784).</summary>
    public int InputSize { get; }

    /// <summary>Outputs per example (10).</summary>
    public int Classes { get; }

    /// <summary>
    /// Class probabilities for <paramref name="count"/> images given as raw pixels (0-255, <see cref="InputSize"/>
    /// bytes each), normalised as the book's <c>load_mnist(normalize=True)</c> does.
    /// </summary>
    public void PredictPixels(ReadOnlySpan<byte> pixels, int count, Span<float> probabilities)
    {
        CheckBatch(pixels.Length, count, probabilities.Length);
        fixed (byte* x = pixels)
        fixed (float* y = probabilities)
        {
            Forward(MatrixSource.Pixels(x, InputSize), count, y);
        }
    }

    /// <summary>Class probabilities for <paramref name="count"/> inputs already scaled to floats.</summary>
    public void Predict(ReadOnlySpan<float> x, int count, Span<float> probabilities)
    {
        CheckBatch(x.Length, count, probabilities.Length);
        fixed (float* px = x)
        fixed (float* y = probabilities)
        {
            Forward(MatrixSource.RowMajor(px, InputSize), count, y);
        }
    }

    private void Forward(MatrixSource input, int count, float* probabilities)
    {
        var source = input;
        for (int i = 0; i < _layers.Length; i++)
        {
            var layer = _layers[i];
            bool last = i == _layers.Length - 1;
            float* output = last ? probabilities : (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _activations[i][0]);
            fixed (float* w = layer.Packed.Data)
            fixed (float* b = layer.Bias)
            {
                Gemm.Run(new Operation(count, layer.Outputs, layer.Inputs, source, layer.Packed, w, 1f, 0f, output, layer.Outputs, b, layer.Activation));
            }

            source = MatrixSource.RowMajor(output, layer.Outputs);
        }

        if (_layers[^1].Activation != Activation.Softmax)
        {
            for (int r = 0; r < count; r++)
            {
                var row = new Span<float>(probabilities + (long)r * Classes, Classes);
                Activations.Softmax(row, row);
            }
        }
    }

    private void CheckBatch(int inputLength, int count, int outputLength)
    {
        if (count < 1 || count > MaxBatch)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Batch of {count} examples; this predictor takes 1 to {MaxBatch}.");
        }

        if (inputLength < count * InputSize || outputLength < count * Classes)
        {
            throw new ArgumentException(
                $"A batch of {count} needs {count * InputSize} inputs and room for {count * Classes} outputs; got {inputLength} and {outputLength}.");
        }
    }

    /// <summary>One affine layer, packed for the kernels, with its fused activation.</summary>
    private sealed class Layer(Tensor weights, Tensor bias, Activation activation)
    {
        public PackedMatrix Packed { get; } = PackedMatrix.Pack(weights.Span, weights.Dim(1), Transpose.No, weights.Dim(0), weights.Dim(1));

        public float[] Bias { get; } = PackedMatrix.PadBias(bias.Span);

        public Activation Activation { get; } = activation;

        public int Inputs => Packed.Rows;

        public int Outputs => Packed.Columns;
    }
}
