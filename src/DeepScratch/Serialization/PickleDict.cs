namespace DeepScratch.Serialization;

/// <summary>
/// A Python dict (or <c>collections.OrderedDict</c>): entries stay in insertion order because that is the order
/// arrays are reported in, and setting an existing key replaces its value in place, as Python does.
/// </summary>
internal sealed class PickleDict
{
    private static readonly object NoneKey = new();

    /// <summary>Entries found by a linear scan before a hash index is built: a hash index costs about 300 bytes, and a
    /// file of nested one-entry dicts (4 bytes of pickle each) would otherwise make the reader allocate over 30 times its size.</summary>
    private const int LinearScanEntries = 8;

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
        if (_index is null && _entries.Count < LinearScanEntries)
        {
            for (int i = 0; i < _entries.Count; i++)
            {
                if (PickleKeyComparer.Instance.Equals(_entries[i].Key ?? NoneKey, lookup))
                {
                    _entries[i] = new(key, value);
                    return;
                }
            }

            _entries.Add(new(key, value));
            return;
        }

        if (_index is null)
        {
            _index = new Dictionary<object, int>(PickleKeyComparer.Instance);
            for (int i = 0; i < _entries.Count; i++)
            {
                _index.Add(_entries[i].Key ?? NoneKey, i);
            }
        }

        if (_index.TryGetValue(lookup, out int position))
        {
            _entries[position] = new(key, value);
            return;
        }

        _index.Add(lookup, _entries.Count);
        _entries.Add(new(key, value));
    }
}
