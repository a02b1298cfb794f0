namespace DeepScratch.Cli.Commands;

/// <summary>One image read for <c>show</c> or <c>predict</c>.</summary>
/// <param name="Pixels">Its pixels, row-major, 0-255.</param>
/// <param name="Label">Its class.</param>
/// <param name="Rows">Height in pixels.</param>
/// <param name="Columns">Width in pixels.</param>
/// <param name="SetName">The split for messages ("MNIST test set").</param>
internal sealed record ImageExample(byte[] Pixels, byte Label, int Rows, int Columns, string SetName);
