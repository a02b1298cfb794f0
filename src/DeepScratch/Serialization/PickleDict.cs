namespace DeepScratch.Serialization;

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
