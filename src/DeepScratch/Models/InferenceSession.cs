using DeepScratch.Kernels;
using DeepScratch.Models.Inference;

namespace DeepScratch.Models;

/// <summary>
/// One caller's use of an <see cref="InferenceEngine"/>: the buffers for batches of up to <see cref="MaxBatch"/>
/// examples, allocated once, so that a batch allocates nothing in steady state. A session serves one call at a time;
/// callers on several threads each create their own from the one shared engine.
/// </summary>
public sealed unsafe class InferenceSession
{
    private readonly InferenceEngine _engine;
    private readonly float[] _a;
    private readonly float[] _b;
    private readonly float[]? _input;
    private readonly float[] _workspace;

    internal InferenceSession(InferenceEngine engine, int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        long width = Math.Max(engine.MaxWidth, engine.InputSize);
        if (width * maxBatch > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBatch), $"A batch of {maxBatch} needs {width * maxBatch} floats per buffer, more than an array holds; use smaller batches.");
        }

        _engine = engine;
        MaxBatch = maxBatch;
        _a = GC.AllocateArray<float>(maxBatch * engine.MaxWidth, pinned: true);
        _b = GC.AllocateArray<float>(maxBatch * engine.MaxWidth, pinned: true);
        // Multi-channel images are transposed to channels-last first; bytes are converted first when no GEMM reads them.
        _input = engine.InputChannels > 1 || !engine.Ops[0].ReadsBytes ? GC.AllocateArray<float>(maxBatch * engine.InputSize, pinned: true) : null;
        // The kernels' scratch (Winograd's transformed tiles, padded images): the most any step needs, shared by the steps in turn.
        _workspace = GC.AllocateArray<float>(engine.Ops.Max(o => o.WorkspaceLength(maxBatch)), pinned: true);
    }

    /// <summary>The most examples one call may pass.</summary>
    public int MaxBatch { get; }

    /// <summary>Values per example (784 for MNIST).</summary>
    public int InputSize => _engine.InputSize;

    /// <summary>Outputs per example (10 classes).</summary>
    public int Classes => _engine.Classes;

    /// <summary>
    /// Class probabilities (count x <see cref="Classes"/>, row-major) for <paramref name="count"/> examples given as raw
    /// pixels (0-255, <see cref="InputSize"/> bytes each, images in the book's (C, H, W) order), normalised as the
    /// book's <c>load_mnist(normalize=True)</c> does (pixel / 255) as they are read.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not in 1..<see cref="MaxBatch"/>.</exception>
    /// <exception cref="ArgumentException">The spans are too short for the batch.</exception>
    public void PredictPixels(ReadOnlySpan<byte> pixels, int count, Span<float> probabilities)
    {
        CheckBatch(pixels.Length, count, probabilities.Length);
        fixed (byte* x = pixels)
        fixed (float* y = probabilities)
        {
            if (_input is null)
            {
                Forward(null, x, count, y);
                return;
            }

            fixed (float* input = _input)
            {
                ToChannelsLast(null, x, count, input);
                Forward(input, null, count, y);
            }
        }
    }

    /// <summary>Class probabilities for <paramref name="count"/> examples already scaled to floats (images in (C, H, W) order).</summary>
    /// <remarks>
    /// Inputs are not checked: a NaN or infinite input gives, in its own row only, what the network's
    /// <see cref="IClassifier.Predict"/> gives for it (numpy's IEEE result; see there), whatever the batch.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not in 1..<see cref="MaxBatch"/>.</exception>
    /// <exception cref="ArgumentException">The spans are too short for the batch.</exception>
    public void Predict(ReadOnlySpan<float> x, int count, Span<float> probabilities)
    {
        CheckBatch(x.Length, count, probabilities.Length);
        fixed (float* px = x)
        fixed (float* y = probabilities)
        {
            if (_engine.InputChannels == 1)
            {
                Forward(px, null, count, y);
                return;
            }

            fixed (float* input = _input)
            {
                ToChannelsLast(px, null, count, input);
                Forward(input, null, count, y);
            }
        }
    }

    private void Forward(float* input, byte* pixels, int count, float* probabilities)
    {
        fixed (float* a = _a)
        fixed (float* b = _b)
        {
            float* current = input;
            float* next = a;
            var ops = _engine.Ops;
            for (int i = 0; i < ops.Count; i++)
            {
                var op = ops[i];
                float* output = op.InPlace && current != null && current != input ? current : next;
                op.Run(current, current == null ? pixels : null, count, output, _workspace);
                current = output;
                next = output == a ? b : a;
            }

            new ReadOnlySpan<float>(current, count * Classes).CopyTo(new Span<float>(probabilities, count * Classes));
        }
    }

    /// <summary>(N, C, H, W) floats or bytes (divided by 255) to (N, H, W, C) floats; a plain copy or scaling when C is 1.</summary>
    private void ToChannelsLast(float* floats, byte* bytes, int count, float* destination)
    {
        int c = _engine.InputChannels, plane = InputSize / c;
        for (int n = 0; n < count; n++)
        {
            float* dst = destination + (long)n * InputSize;
            if (c == 1)
            {
                if (bytes != null)
                {
                    PixelScaling.Normalize(bytes + (long)n * InputSize, dst, InputSize);
                }
                else
                {
                    Buffer.MemoryCopy(floats + (long)n * InputSize, dst, InputSize * sizeof(float), InputSize * sizeof(float));
                }

                continue;
            }

            for (int ch = 0; ch < c; ch++)
            {
                for (int p = 0; p < plane; p++)
                {
                    long from = (long)n * InputSize + (long)ch * plane + p;
                    dst[p * c + ch] = bytes != null ? bytes[from] / 255f : floats[from];
                }
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
}
