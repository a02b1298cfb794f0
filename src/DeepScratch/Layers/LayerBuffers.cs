using DeepScratch.Kernels;

namespace DeepScratch.Layers;

/// <summary>
/// A layer that can write its outputs and input gradients into tensors it owns and reuses from call to call, instead
/// of new ones. Reuse is off by default, so every tensor a layer's public <c>Forward</c>/<c>Backward</c> hands to a
/// caller stays valid; <see cref="Models.LayeredNetwork.Gradient"/> switches it on for the duration of one
/// backpropagation, whose intermediate tensors never leave it (it returns only the loss), and off again.
/// </summary>
internal interface IReusesBuffers
{
    /// <summary>
    /// While true, each Forward/Backward result lives in a buffer of the layer that its next Forward/Backward overwrites.
    /// </summary>
    bool ReuseBuffers { get; set; }
}

/// <summary>
/// One reusable result tensor of a layer: a fresh zero tensor when reuse is off, else the same tensor as last time
/// (stale contents: the writer must overwrite every element) while the shape stays the same.
/// </summary>
internal sealed class TensorBuffer
{
    private Tensor? _tensor;

    /// <summary>A tensor of <paramref name="shape"/>: reused (not cleared) when <paramref name="reuse"/>, else new zeros.</summary>
    public Tensor Get(ReadOnlySpan<int> shape, bool reuse)
    {
        if (!reuse)
        {
            return Tensor.Zeros(shape.ToArray());
        }

        if (_tensor is null || !_tensor.Shape.SequenceEqual(shape))
        {
            _tensor = Tensor.Zeros(shape.ToArray());
        }

        return _tensor;
    }

    /// <summary>A (rows, columns) tensor, as <see cref="Get(ReadOnlySpan{int}, bool)"/>, without building a shape array when reused.</summary>
    public Tensor Get(int rows, int columns, bool reuse)
    {
        if (reuse && _tensor is { Rank: 2 } t && t.Dim(0) == rows && t.Dim(1) == columns)
        {
            return t;
        }

        return Get([rows, columns], reuse);
    }
}

/// <summary>
/// Element-wise passes over large activations split across the <see cref="WorkerPool"/> in contiguous chunks
/// (allocation-free): a 100-image batch of conv features is megabytes, which one core streams at half the speed two do.
/// </summary>
internal static unsafe class ParallelChunks
{
    /// <summary>
    /// Below this many elements (1 MB of floats) one thread does the pass: a fork-join waits for its slowest block,
    /// and on a busy machine a descheduled worker costs more than a short pass saves.
    /// </summary>
    public const int MinParallel = 1 << 18;

    private const int Chunk = 1 << 14;

    /// <summary>A pass over [0, length): <c>body(state, start, count)</c> for contiguous chunks, in parallel when long.</summary>
    public static void Run(delegate*<void*, int, int, void> body, void* state, int length)
    {
        if (length < MinParallel)
        {
            body(state, 0, length);
            return;
        }

        var job = new Job { Body = body, State = state, Length = length };
        WorkerPool.Run(&RunBlock, &job, (length + Chunk - 1) / Chunk);
    }

    private static void RunBlock(void* job, int block)
    {
        var j = (Job*)job;
        int start = block * Chunk;
        j->Body(j->State, start, Math.Min(Chunk, j->Length - start));
    }

    private struct Job
    {
        public delegate*<void*, int, int, void> Body;
        public void* State;
        public int Length;
    }
}
