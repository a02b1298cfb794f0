namespace DeepScratch.Serialization;

/// <summary>
/// Dict keys as Python compares them, hashed with a per-process random seed. The default hash of a .NET long is
/// its two halves XORed, so a file can choose 50,000 distinct int keys with one hash code and make building the dict
/// quadratic; seeded hashing of the whole value (and .NET's randomized string hashing) leaves a file no way to
/// aim at one bucket.
/// </summary>
internal sealed class PickleKeyComparer : IEqualityComparer<object>
{
    public static readonly PickleKeyComparer Instance = new();

    private PickleKeyComparer()
    {
    }

    public new bool Equals(object? x, object? y) => (x, y) switch
    {
        (long a, long b) => a == b,
        (string a, string b) => string.Equals(a, b, StringComparison.Ordinal),
        (byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b),
        (double a, double b) => a.Equals(b),
        (bool a, bool b) => a == b,
        _ => ReferenceEquals(x, y),
    };

    public int GetHashCode(object obj) => obj switch
    {
        long v => HashInt64(v),
        string text => string.GetHashCode(text, StringComparison.Ordinal),
        byte[] bytes => HashBytes(bytes),
        double d => HashInt64(BitConverter.DoubleToInt64Bits(d == 0 ? 0 : d)), // 0.0 == -0.0
        bool b => HashCode.Combine(b ? 1 : 0, 0x5bd1e995),
        _ => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj),
    };

    private static int HashInt64(long v) => HashCode.Combine((int)v, (int)(v >> 32));

    private static int HashBytes(byte[] bytes)
    {
        var hash = default(HashCode);
        hash.AddBytes(bytes);
        return hash.ToHashCode();
    }
}
