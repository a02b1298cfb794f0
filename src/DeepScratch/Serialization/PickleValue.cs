using System.Globalization;
using System.Text;

namespace DeepScratch.Serialization;

// How Python values look on the reader's stack. Plain values use plain C# types:
//   None -> null, bool -> bool, int -> long, float -> double, str -> string,
//   bytes / bytearray / Python 2 str -> byte[], tuple -> object?[], list -> List<object?>,
//   an allowed global -> AllowedGlobal.
// PickleDict, PickledArray and PickledDType are the only mutable objects a pickle can build.

/// <summary>
/// Reading typed values out of stack values (see the comment above for how Python values are represented)
/// and describing them in error messages. Every check throws <see cref="PickleException"/>, never a cast exception.
/// </summary>
internal static class PickleValue
{
    private const int MaxQuotedLength = 60;

    /// <summary>A short description such as "an int" or "a tuple"; never looks inside containers, so it cannot recurse.</summary>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        bool => "a bool",
        long => "an int",
        double => "a float",
        string => "a str",
        byte[] => "bytes",
        object?[] tuple => $"a tuple of {tuple.Length}",
        List<object?> => "a list",
        PickleDict => "a dict",
        PickledArray { Value: null } => "an unfinished numpy array (no BUILD)",
        PickledArray => "a numpy array",
        PickledDType => "a numpy dtype",
        AllowedGlobal global => $"the global {AllowedGlobals.Name(global)}",
        _ => value.GetType().Name,
    };

    /// <summary>
    /// Text from the file made safe for a one-line message (<see cref="DisplayText.Escape"/>: control characters
    /// become escapes such as <c>\x1b</c>), and long text is cut, since a hostile file chooses these strings.
    /// </summary>
    public static string Quote(string text) => DisplayText.Escape(text, MaxQuotedLength);

    /// <summary>A str, or a Python 2 str (bytes) read as latin-1, which is how Python 3 reads old pickles.</summary>
    public static string AsText(object? value, string what) => value switch
    {
        string text => text,
        byte[] bytes => Encoding.Latin1.GetString(bytes),
        _ => throw new PickleException($"{what} is {Describe(value)}, not a str", PickleException.Corrupt),
    };

    /// <summary>A Python int (bool counts, as in Python).</summary>
    public static long AsInt64(object? value, string what) => value switch
    {
        long number => number,
        bool flag => flag ? 1 : 0,
        _ => throw new PickleException($"{what} is {Describe(value)}, not an int", PickleException.Corrupt),
    };

    /// <summary>A truth value given as bool or int, as numpy accepts for flags such as <c>is_fortran</c>.</summary>
    public static bool AsBool(object? value, string what) => AsInt64(value, what) != 0;

    /// <summary>A tuple with a number of items between <paramref name="minItems"/> and <paramref name="maxItems"/>.</summary>
    public static object?[] AsTuple(object? value, string what, int minItems, int maxItems)
    {
        if (value is not object?[] tuple)
        {
            throw new PickleException($"{what} is {Describe(value)}, not a tuple", PickleException.Corrupt);
        }

        if (tuple.Length < minItems || tuple.Length > maxItems)
        {
            string expected = minItems == maxItems
                ? minItems.ToString(CultureInfo.InvariantCulture)
                : $"{minItems} to {maxItems}";
            throw new PickleException($"{what} has {tuple.Length} items instead of {expected}", PickleException.Corrupt);
        }

        return tuple;
    }

    /// <summary>
    /// Raw bytes: bytes, bytearray or a Python 2 str; a Python 3 str is accepted if every character fits latin-1,
    /// as numpy itself does for array data that went through a Python 2 round trip.
    /// </summary>
    public static byte[] AsBytes(object? value, string what) => value switch
    {
        byte[] bytes => bytes,
        string text => Latin1Bytes(text, what),
        _ => throw new PickleException($"{what} is {Describe(value)}, not bytes", PickleException.Corrupt),
    };

    /// <summary>Encodes a str as latin-1, refusing characters above U+00FF instead of replacing them with '?'.</summary>
    public static byte[] Latin1Bytes(string text, string what)
    {
        foreach (char c in text)
        {
            if (c > '\u00ff')
            {
                throw new PickleException(
                    $"{what} holds the character U+{(int)c:X4}, which latin-1 cannot encode", PickleException.Corrupt);
            }
        }

        return Encoding.Latin1.GetBytes(text);
    }
}
