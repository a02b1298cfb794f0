using System.Text.RegularExpressions;

namespace DeepScratch;

/// <summary>
/// Turns an exception's message into a fragment of another message (a file's line, a parenthesis): .NET's
/// " (Parameter 'x')" suffix names a C# parameter the user never saw, and a capitalised sentence mid-line reads as two.
/// </summary>
internal static partial class ErrorText
{
    /// <summary>
    /// A System.Text.Json reader's explanation without its position suffix (" LineNumber: 0 | BytePositionInLine: 12.")
    /// and its advice to programmers (" Change the reader options."), for a message that says where in its own terms.
    /// </summary>
    public static string JsonReason(System.Text.Json.JsonException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        string message = e.Message;
        int position = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        message = position >= 0 ? message[..position] : message;
        return message.Replace(" Change the reader options.", "", StringComparison.Ordinal).TrimEnd('.', ' ');
    }

    /// <summary>The message without .NET's " (Parameter 'x')" suffixes (also those of inner messages quoted in it).</summary>
    public static string Plain(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return ParameterSuffix().Replace(e.Message, "");
    }

    /// <summary>
    /// The message as a fragment to follow "...: " (<paramref name="endsLine"/>: keeps its final period) or to go inside
    /// parentheses (drops it): no parameter suffix, and a capitalised first word lower-cased ("The tensors" → "the
    /// tensors"; names such as "W1" or "NaN" are kept).
    /// </summary>
    public static string Fragment(Exception e, bool endsLine = false)
    {
        string text = Plain(e).TrimEnd();
        text = endsLine ? text : text.TrimEnd('.');
        return text.Length > 1 && char.IsUpper(text[0]) && char.IsLower(text[1])
            ? char.ToLowerInvariant(text[0]) + text[1..]
            : text;
    }

    [GeneratedRegex(@" \(Parameter '[^']*'\)")]
    private static partial Regex ParameterSuffix();
}
