namespace DeepScratch.Models;

/// <summary>What <see cref="ModelFile.Convert"/> did.</summary>
/// <param name="Arrays">How many arrays were written.</param>
/// <param name="Notes">One line per thing the user should know: a type narrowed, a network eval cannot use.</param>
public sealed record ConversionResult(int Arrays, IReadOnlyList<string> Notes);
