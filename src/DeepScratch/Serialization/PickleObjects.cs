namespace DeepScratch.Serialization;

// How Python values look on the reader's stack. Plain values use plain C# types:
//   None -> null, bool -> bool, int -> long, float -> double, str -> string,
//   bytes / bytearray / Python 2 str -> byte[], tuple -> object?[], list -> List<object?>,
//   an allowed global -> AllowedGlobal.
// The three types below are the only mutable objects a pickle can build.

/// <summary>
/// A Python dict (or <c>collections.OrderedDict</c>): entries stay in insertion order because that is the order
/// arrays are reported in, and setting an existing key replaces its value in place, as Python does.
/// </summary>
internal sealed class PickleDict
{
    private static readonly object NoneKey = new();

    // Created on the first Set: a flood of empty dicts then costs one small object each.
    private List<KeyValuePair<object?, object?>>? _entries;
    private Dictionary<object, int>? _index;

    /// <summary>The entries in insertion order.</summary>
    public IReadOnlyList<KeyValuePair<object?, object?>> Entries => _entries ?? [];

    /// <summary>How keys are compared and hashed: <see cref="PickleKeyComparer"/>.</summary>
    public static IEqualityComparer<object> KeyComparer => PickleKeyComparer.Instance;

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>; strings, bytes and numbers compare by value, containers by identity.</summary>
    public void Set(object? key, object? value)
    {
        object lookup = key ?? NoneKey;
        _entries ??= [];
        _index ??= new Dictionary<object, int>(PickleKeyComparer.Instance);
        if (_index.TryGetValue(lookup, out int position))
        {
            _entries[position] = new(key, value);
            return;
        }

        _index.Add(lookup, _entries.Count);
        _entries.Add(new(key, value));
    }
}

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

/// <summary>
/// A numpy array. <c>_reconstruct</c> creates it empty and BUILD fills it, so until then <see cref="Value"/> is null;
/// <c>scalar</c> and <c>_frombuffer</c> create it filled.
/// </summary>
internal sealed class PickledArray
{
    /// <summary>The decoded array (named later), or null while it waits for its BUILD.</summary>
    public NumpyArray? Value { get; set; }
}

/// <summary>
/// A numpy dtype. <c>dtype('f4', False, True)</c> creates it with the machine's byte order and BUILD sets the
/// byte order the file was written with, so the type must stay mutable until it is used.
/// </summary>
internal sealed class PickledDType(NumpyDType type)
{
    /// <summary>The element type as far as it is known.</summary>
    public NumpyDType Type { get; set; } = type;
}
