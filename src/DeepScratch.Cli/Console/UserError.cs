namespace DeepScratch.Cli.Console;

/// <summary>A mistake on the command line (bad option value, index out of range): reported as one line, exit code 2.</summary>
internal sealed class UserError(string message) : Exception(message);
