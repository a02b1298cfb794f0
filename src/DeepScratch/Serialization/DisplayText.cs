using System.Globalization;
using System.Text;

namespace DeepScratch.Serialization;

/// <summary>
/// Makes text that a file chose (array names, metadata, dtype strings, global names) safe to print on a terminal.
/// A name holding ESC, CR or a bidi override could otherwise clear the screen, rewrite a table row or reverse a
/// line, so every such character is shown as an escape (<c>\x1b</c>, <c>\r</c>, <c>\u202e</c>) instead.
/// </summary>
public static class DisplayText
{
    /// <summary>
    /// <paramref name="text"/> with control characters (C0, DEL, C1), bidi and other invisible format characters,
    /// line and paragraph separators and lone surrogates escaped; cut to <paramref name="maxLength"/> characters of
    /// the original (then "..." is appended).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public static string Escape(string text, int maxLength = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(text);
        int length = Math.Min(text.Length, maxLength);
        var sb = new StringBuilder(length + 8);
        for (int i = 0; i < length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
                continue;
            }

            AppendEscaped(sb, c);
        }

        return text.Length > maxLength ? sb.Append("...").ToString() : sb.ToString();
    }

    /// <summary>Whether <paramref name="c"/> is printed as an escape by <see cref="Escape"/> (surrogates aside).</summary>
    public static bool NeedsEscape(char c) =>
        char.IsControl(c) // C0, DEL and C1
        || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format // bidi overrides and isolates, zero-width, BOM
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    private static void AppendEscaped(StringBuilder sb, char c)
    {
        if (char.IsSurrogate(c))
        {
            sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            return;
        }

        if (!NeedsEscape(c))
        {
            sb.Append(c);
            return;
        }

        _ = c switch
        {
            '\r' => sb.Append("\\r"),
            '\n' => sb.Append("\\n"),
            '\t' => sb.Append("\\t"),
            <= '\u00ff' => sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}"),
            _ => sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
        };
    }
}
