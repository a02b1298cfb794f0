namespace DeepScratch.Training.Optimizers;

/// <summary>
/// Working space for the intermediate <c>g / (sqrt(h) + 1e-7)</c> of the adaptive optimizers, grown to the longest
/// parameter once and then reused, so a step allocates nothing. Not thread-safe, like the optimizers themselves.
/// </summary>
internal sealed class ScratchBuffer
{
    private float[] _buffer = [];

    /// <summary>Makes room for <paramref name="length"/> floats (called once per update, before the loop).</summary>
    public void Reserve(int length)
    {
        if (_buffer.Length < length)
        {
            _buffer = new float[length];
        }
    }

    /// <summary>The first <paramref name="length"/> floats of the buffer.</summary>
    public Span<float> Get(int length)
    {
        Reserve(length);
        return _buffer.AsSpan(0, length);
    }
}
