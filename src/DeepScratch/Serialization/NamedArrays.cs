using System.Globalization;
using System.Text;

namespace DeepScratch.Serialization;

/// <summary>
/// Names the arrays in an unpickled object: the book saves a dict of name -> array, but nested dicts, lists and
/// tuples are walked too (<c>outer.inner</c>, <c>list.0</c>). Anything that is not an array is an error rather than
/// skipped, so a missing weight is reported where it is, not later as a missing key.
/// </summary>
internal sealed class NamedArrays
{
    /// <summary>Nesting deeper than this is refused; it also stops a container that contains itself.</summary>
    private const int MaxDepth = 32;

    /// <summary>Entries visited in total; shared sub-containers could otherwise multiply the walk exponentially.</summary>
    internal const int MaxEntries = 100_000;

    private const int MaxNameLength = 1024;

    /// <summary>Float32 bytes the named arrays may add up to per byte of the file (uint8 data becomes 4x larger).</summary>
    private const long DeliveredBytesPerInputByte = 8;

    private readonly string _source;
    private readonly long _deliveredLimit;
    private long _delivered;
    private readonly List<NumpyArray> _arrays = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _entries;

    private NamedArrays(string source, long deliveredLimit) => (_source, _deliveredLimit) = (source, deliveredLimit);

    /// <summary>The arrays in <paramref name="root"/>, named and in file order.</summary>
    /// <param name="root">The unpickled object.</param>
    /// <param name="sourceName">The file, for messages.</param>
    /// <param name="inputLength">
    /// The pickle's size in bytes. One memoized array can be referenced any number of times at a few bytes each, and
    /// every reference is a full array to the caller (inspect summarises it, convert writes it), so every reference
    /// is charged its full size and the total is bounded by a small multiple of the file's size.
    /// </param>
    /// <exception cref="InvalidDataException">
    /// The object holds something other than arrays, two arrays share a name, or the arrays add up to far more data
    /// than the file holds (one stored array referenced many times).
    /// </exception>
    public static IReadOnlyList<NumpyArray> Flatten(object? root, string sourceName, long inputLength)
    {
        var walker = new NamedArrays(sourceName, (DeliveredBytesPerInputByte * inputLength) + (1 << 20));
        switch (root)
        {
            case PickledArray:
                walker.AddValue("array", root, depth: 0);
                break;
            case PickleDict or List<object?> or object?[]:
                walker.AddChildren(prefix: null, root, depth: 0);
                break;
            default:
                throw new InvalidDataException(
                    $"{sourceName}: the pickle holds {PickleValue.Describe(root)}, not numpy arrays: "
                    + "expected a dict of name -> numpy array (a list, a tuple or a single array also work).");
        }

        return walker._arrays;
    }

    private void AddChildren(string? prefix, object container, int depth)
    {
        if (depth >= MaxDepth)
        {
            throw Error($"'{PickleValue.Quote(prefix ?? "")}' is nested more than {MaxDepth} levels deep (or contains itself)",
                "store the arrays in a flat dict of name -> array.");
        }

        switch (container)
        {
            case PickleDict dict:
                foreach (var (key, value) in dict.Entries)
                {
                    AddValue(Join(prefix, KeyName(prefix, key)), value, depth);
                }

                break;
            case IReadOnlyList<object?> items:
                for (int i = 0; i < items.Count; i++)
                {
                    AddValue(Join(prefix, i.ToString(CultureInfo.InvariantCulture)), items[i], depth);
                }

                break;
        }
    }

    private void AddValue(string name, object? value, int depth)
    {
        if (++_entries > MaxEntries)
        {
            throw Error($"the pickle has more than {MaxEntries} entries", PickleException.Hostile);
        }

        switch (value)
        {
            case PickledArray { Value: { } array }:
                AddArray(name, array);
                break;
            case PickleDict or List<object?> or object?[]:
                AddChildren(name, value, depth + 1);
                break;
            default:
                throw Error($"'{PickleValue.Quote(name)}' is {PickleValue.Describe(value)}, not a numpy array",
                    "only numpy arrays (in dicts, lists and tuples) are loaded; save other values separately.");
        }
    }

    private void AddArray(string name, NumpyArray array)
    {
        if (!_names.Add(name))
        {
            throw Error($"two arrays are both named '{PickleValue.Quote(name)}'", "rename one of the dict keys.");
        }

        _delivered += (long)array.Tensor.Length * sizeof(float);
        if (_delivered > _deliveredLimit)
        {
            throw Error($"its arrays add up to more than {_deliveredLimit} bytes of float32 data at '{PickleValue.Quote(name)}', "
                + "far more than the file holds (one stored array referenced many times?)",
                "refused, since the file may be crafted to exhaust memory and disk; save each array once.");
        }

        _arrays.Add(array with { Name = name });
    }

    /// <summary>A dict key as a name part: str, Python 2 str (bytes, read as latin-1) or int.</summary>
    private string KeyName(string? prefix, object? key) => key switch
    {
        string text => text,
        byte[] bytes => Encoding.Latin1.GetString(bytes),
        long number => number.ToString(CultureInfo.InvariantCulture),
        _ => throw Error($"a dict key {(prefix is null ? "at the top level" : $"in '{PickleValue.Quote(prefix)}'")} is {PickleValue.Describe(key)}",
            "array names must be str (or int) keys."),
    };

    private string Join(string? prefix, string part)
    {
        string name = prefix is null ? part : prefix + "." + part;
        return name.Length <= MaxNameLength
            ? name
            : throw Error($"the name '{PickleValue.Quote(name)}' is longer than {MaxNameLength} characters", "use shorter dict keys.");
    }

    private InvalidDataException Error(string problem, string advice) => new($"{_source}: {problem}: {advice}");
}
