using System.Linq;
using NUnit.Framework;
using OpenPipe.Client;
using OpenPipe.Gateway.LogsPage;

namespace OpenPipe.Gateway.Tests.LogsPage;

/// <summary>The usage view's chart: a bar per day from the first to the last, bars to scale on round steps, and at most a year of days.</summary>
public sealed class TokenChartTests
{
    private static UsageRow Day(string day, long prompt, long completion) =>
        new() { Group = day, PromptTokens = prompt, CompletionTokens = completion, TotalTokens = prompt + completion, Requests = 1 };

    [Test]
    public void From_DaysWithGaps_DrawsEveryDayBetweenTheFirstAndTheLast()
    {
        // Act
        var chart = TokenChart.From([Day("2025-03-01", 100, 50), Day("2025-03-04", 300, 100)]);

        // Assert
        Assert.That(chart.Bars.Select(b => b.Day), Is.EqualTo(new[] { "2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04" }));
        Assert.That(chart.Bars[1].TotalTokens, Is.Zero);
        Assert.That(chart.Bars[1].PromptHeight + chart.Bars[1].RestHeight, Is.Zero);
        Assert.That(chart.TotalTokens, Is.EqualTo(550));
    }

    [Test]
    public void From_Bars_AreToScaleWithPromptAtTheBottom()
    {
        // Act: the largest day is 400 tokens; four steps of 100 reach it.
        var chart = TokenChart.From([Day("2025-03-01", 100, 100), Day("2025-03-02", 300, 100)]);

        // Assert
        double plot = TokenChart.PlotBottom - TokenChart.PlotTop;
        Assert.That(chart.YTicks.Select(t => t.Text), Is.EqualTo(new[] { "0", "100", "200", "300", "400" }));
        var big = chart.Bars[1];
        Assert.That(big.PromptHeight, Is.EqualTo(plot * 0.75).Within(0.001));
        Assert.That(big.RestHeight, Is.EqualTo(plot * 0.25).Within(0.001));
        Assert.That(big.PromptY + big.PromptHeight, Is.EqualTo(TokenChart.PlotBottom).Within(0.001));
        Assert.That(big.RestY + big.RestHeight, Is.EqualTo(big.PromptY).Within(0.001));
        Assert.That(big.RestY, Is.EqualTo(TokenChart.PlotTop).Within(0.001));
        Assert.That(chart.Bars[0].PromptHeight + chart.Bars[0].RestHeight, Is.EqualTo(plot * 0.5).Within(0.001));
    }

    [TestCase(7, "2")]
    [TestCase(950, "250")]
    [TestCase(1_234_567, "500k")]
    public void From_YAxis_StepsAreRound(long max, string firstStep)
    {
        // Act
        var chart = TokenChart.From([Day("2025-03-01", max, 0)]);

        // Assert
        Assert.That(chart.YTicks[1].Text, Is.EqualTo(firstStep));
    }

    [Test]
    public void From_MoreThanAYear_DrawsTheLatestDays()
    {
        // Act
        var chart = TokenChart.From([Day("2024-01-01", 5, 5), Day("2025-03-01", 5, 5)]);

        // Assert
        Assert.That(chart.Bars, Has.Count.EqualTo(TokenChart.MaxDays));
        Assert.That(chart.Bars[^1].Day, Is.EqualTo("2025-03-01"));
        Assert.That(chart.DaysLeftOut, Is.EqualTo(426 - TokenChart.MaxDays));
    }

    [Test]
    public void From_NoDayRows_DrawsNothing()
    {
        // Act: rows grouped by something else are not days.
        var chart = TokenChart.From([Day("gpt-4o-mini", 10, 10)]);

        // Assert
        Assert.That(chart.Bars, Is.Empty);
    }
}
