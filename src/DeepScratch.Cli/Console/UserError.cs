namespace DeepScratch.Cli.Console;

/// <summary>A mistake on the command line (bad option value, index out of range): reported as one line, exit code 2.</summary>
internal sealed class UserError(string message) : Exception(message)
{
    /// <summary>
    /// Runs the library's check of an option's value and turns its ArgumentException into this one-line usage error,
    /// prefixed with the option: the library owns the rule and its wording, the command line names the option.
    /// </summary>
    public static T Check<T>(string option, Func<T> check)
    {
        try
        {
            return check();
        }
        catch (ArgumentException e)
        {
            // ArgumentException appends " (Parameter 'x')", which names a C# parameter the user never saw.
            string message = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            throw new UserError($"{option}: {message}");
        }
    }
}
