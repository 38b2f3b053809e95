// Adds: the token counts of calls that were not logged, one row each in unlogged_usage, so a key's
// tokens-per-day limit counts every call it made (every instance on one PostgreSQL reads the same
// rows). A row is kept two days, long enough for any UTC day's count; older ones (by the clock that
// stamped the batch's calls) are deleted with the next batch.

using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;

namespace OpenPipe.Gateway.Storage;

/// <content>Token counts of calls that were not logged.</content>
public abstract partial class RelationalGatewayStore
{
    /// <summary>How long a count of a call that was not logged is kept.</summary>
    private static readonly TimeSpan UnloggedUsageKept = TimeSpan.FromDays(2);

    /// <summary>Inserts the counts (a batch written again is not counted twice) and deletes the expired ones.</summary>
    private async Task InsertUnloggedUsageAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<RequestLogEntry> entries, CancellationToken cancellationToken)
    {
        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO unlogged_usage (entry_id, key_id, received_at, total_tokens) VALUES (@entry_id, @key_id, @received_at, @total_tokens) ON CONFLICT (entry_id) DO NOTHING";
            Add(insert, "@entry_id", null);
            Add(insert, "@key_id", null);
            Add(insert, "@received_at", null);
            Add(insert, "@total_tokens", null);
            await insert.PrepareAsync(cancellationToken).ConfigureAwait(false);
            foreach (var entry in entries)
            {
                insert.Parameters[0].Value = entry.EntryId;
                insert.Parameters[1].Value = entry.KeyId;
                insert.Parameters[2].Value = ReceivedAtValue(entry.ReceivedAt);
                insert.Parameters[3].Value = entry.TotalTokens ?? 0;
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        await using var expire = connection.CreateCommand();
        expire.Transaction = transaction;
        expire.CommandText = "DELETE FROM unlogged_usage WHERE received_at < @before";
        var newest = DateTimeOffset.MinValue;
        foreach (var entry in entries)
        {
            newest = entry.ReceivedAt > newest ? entry.ReceivedAt : newest;
        }

        Add(expire, "@before", ReceivedAtValue(newest - UnloggedUsageKept));
        await expire.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
