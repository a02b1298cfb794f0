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
        // A split batch's parts each take their own slice, sized for the rows one part carries at a time.
        _stepRows = Math.Max(MinStepRows, StepBytes / (sizeof(float) * engine.MaxWidth));
        int partRows = Math.Min(_stepRows, (maxBatch + 1) / 2);
        _partWorkspace = engine.Ops.Max(o => o.WorkspaceLength(partRows));
        long workspace = Math.Max(engine.Ops.Max(o => o.WorkspaceLength(maxBatch)), (long)_partWorkspace * Math.Min(maxBatch, Environment.ProcessorCount));
        _workspace = GC.AllocateArray<float>(checked((int)workspace), pinned: true);
    }

    /// <summary>Bytes of one step's outputs a split batch's part aims to keep in the level-2 cache for the next step.</summary>
    private const int StepBytes = 256 * 1024;

    /// <summary>The fewest rows a part carries through the steps at a time (a CNN's wide steps would otherwise go one image at a time).</summary>
    private const int MinStepRows = 16;

    private readonly int _stepRows;
    private readonly int _partWorkspace;

    // The call in progress, read by the parts (a session serves one call at a time).
    private float* _input0;
    private byte* _pixels0;
    private float* _probabilities0;
    private int _count;
    private int _parts;

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
        // The session's buffers are pinned (allocated so) and the callers hold input and output fixed: the addresses
        // hold while the parts run.
        _input0 = input;
        _pixels0 = pixels;
        _probabilities0 = probabilities;
        _count = count;
        _parts = PartsFor(count);
        try
        {
            if (_parts == 1)
            {
                ForwardPart(this, 0);
            }
            else
            {
                WorkerPool.Run(&ForwardPart, this, _parts);
            }
        }
        finally
        {
            _input0 = null;
            _pixels0 = null;
            _probabilities0 = null;
        }
    }

    /// <summary>
    /// How many cores share a batch, each carrying its own rows through every step: one fork and join per batch
    /// instead of one per step (a batch of 100 through the MLP woke the pool three times for about 20 µs of work each).
    /// One part when the batch is too small to repay waking a core; the steps then share out their own work.
    /// </summary>
    private int PartsFor(int count)
    {
        int cores = Environment.ProcessorCount;
        return cores < 2 || count < 2 || (long)count * _engine.MultiplyAddsPerExample < ParallelWork ? 1 : Math.Min(cores, count);
    }

    /// <summary>Multiply-adds a batch needs before it is split across the cores (as the GEMM's own threshold).</summary>
    private const long ParallelWork = 1L << 20;

    /// <summary>
    /// Rows [count·part/parts, count·(part+1)/parts) through every step, a few at a time (<see cref="_stepRows"/>) so
    /// that one step's outputs are still in the level-2 cache when the next reads them; each part has its own rows of
    /// the buffers and its own slice of the workspace.
    /// </summary>
    private static void ForwardPart(object state, int part)
    {
        var s = (InferenceSession)state;
        var engine = s._engine;
        int parts = s._parts;
        var (first, end) = WorkerPool.ShareOf(s._count, 1, part, parts);
        int stepRows = parts == 1 ? end - first : Math.Min(end - first, s._stepRows);
        int width = engine.MaxWidth, inputs = engine.InputSize, classes = engine.Classes;
        fixed (float* a0 = s._a)
        fixed (float* b0 = s._b)
        fixed (float* w = s._workspace)
        {
            float* a = a0 + (long)first * width, b = b0 + (long)first * width;
            var workspace = parts == 1 ? new Span<float>(w, s._workspace.Length) : new Span<float>(w + (long)part * s._partWorkspace, s._partWorkspace);
            var ops = engine.Ops;
            for (int row = first; row < end; row += stepRows)
            {
                int count = Math.Min(stepRows, end - row);
                float* input = s._input0 != null ? s._input0 + (long)row * inputs : null;
                byte* pixels = s._pixels0 != null ? s._pixels0 + (long)row * inputs : null;
                float* current = input;
                float* next = a;
                for (int i = 0; i < ops.Count; i++)
                {
                    var op = ops[i];
                    float* output = op.InPlace && current != null && current != input ? current : next;
                    op.Run(current, current == null ? pixels : null, count, output, workspace);
                    current = output;
                    next = output == a ? b : a;
                }

                new ReadOnlySpan<float>(current, count * classes).CopyTo(new Span<float>(s._probabilities0 + (long)row * classes, count * classes));
            }
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
