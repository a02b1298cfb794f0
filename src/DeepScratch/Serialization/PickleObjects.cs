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
    private readonly List<KeyValuePair<object?, object?>> _entries = [];
    private readonly Dictionary<object, int> _index = [];

    /// <summary>The entries in insertion order.</summary>
    public IReadOnlyList<KeyValuePair<object?, object?>> Entries => _entries;

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>; strings and ints compare by value, containers by identity.</summary>
    public void Set(object? key, object? value)
    {
        object lookup = key ?? NoneKey;
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
