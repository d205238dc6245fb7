#!/usr/bin/env python3
"""Builds the small derived sample files in this folder from the shipped real samples, so that
every reader (Tardis CSV, tick CSV, bars in all supported layouts) has a test on a file that
ships with the project. Deterministic; run from this folder: python3 make_derived.py"""
import gzip, json, zipfile, io
from decimal import Decimal

BINANCE = '../binance/binance-usdm-btcusdt_20240808.gz'
LOBSTER = '../lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1.zip'

# --- Binance USD-M BTCUSDT -> Tardis layouts and a generic tick CSV -------------------------
trades, quotes, book = [], [], []
snapshot_done = False
with gzip.open(BINANCE, 'rt') as f:
    for line in f:
        ts, js = line.split(' ', 1)
        local_us = int(ts) // 1000
        m = json.loads(js)
        if 'lastUpdateId' in m:
            exch_us = m['T'] * 1000
            for side, levels in (('bid', m['bids'][:25]), ('ask', m['asks'][:25])):
                for p, q in levels:
                    book.append(('binance-futures', 'BTCUSDT', exch_us, local_us, 'true', side, p, q))
            snapshot_done = True
            continue
        d = m.get('data', {})
        e = d.get('e')
        if e == 'trade' and len(trades) < 300:
            trades.append(('binance-futures', 'BTCUSDT', d['T'] * 1000, local_us, d['t'], 'sell' if d['m'] else 'buy', d['p'], d['q']))
        elif e == 'bookTicker' and len(quotes) < 300:
            quotes.append(('binance-futures', 'BTCUSDT', d['T'] * 1000, local_us, d['A'], d['a'], d['b'], d['B']))
        elif e == 'depthUpdate' and snapshot_done and len(book) < 800:
            for side, key in (('bid', 'b'), ('ask', 'a')):
                for p, q in d[key]:
                    book.append(('binance-futures', 'BTCUSDT', d['T'] * 1000, local_us, 'false', side, p, q))
        if len(trades) >= 300 and len(quotes) >= 300 and len(book) >= 800:
            break

def write(name, header, rows):
    with open(name, 'w', newline='\n') as out:
        out.write(header + '\n')
        for r in rows:
            out.write(','.join(str(x) for x in r) + '\n')

write('tardis_binance-futures_trades_BTCUSDT_2024-08-08.csv', 'exchange,symbol,timestamp,local_timestamp,id,side,price,amount', trades)
write('tardis_binance-futures_quotes_BTCUSDT_2024-08-08.csv', 'exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount', quotes)
write('tardis_binance-futures_incremental_book_L2_BTCUSDT_2024-08-08.csv', 'exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount', book)
write('ticks_BTCUSDT_2024-08-08.csv', 'time,local_time,price,qty,side', [(t[2] * 1000, t[3] * 1000, t[6], t[7], t[5]) for t in trades])

# --- LOBSTER AMZN executions -> one-minute bars in three layouts ----------------------------
with zipfile.ZipFile(LOBSTER) as z:
    name = [n for n in z.namelist() if '_message_' in n][0]
    rows = [l.split(',') for l in z.read(name).decode().splitlines()]
bars = {}
for r in rows:
    if r[1] not in ('4', '5'):
        continue
    t = Decimal(r[0])
    minute = int(t // 60)
    px = Decimal(r[4]) / 10000
    q = int(r[3])
    b = bars.setdefault(minute, [px, px, px, px, 0, 0])
    b[1] = max(b[1], px); b[2] = min(b[2], px); b[3] = px; b[4] += q; b[5] += 1
def hhmm(minute):
    return '%02d:%02d' % (minute // 60, minute % 60)
def fmt(p):
    return '%.3f' % p
keys = sorted(bars)
write('AMZN_2012-06-21_1min.csv', 'Date,Time,Open,High,Low,Close,Volume,Trades',
      [('2012-06-21', hhmm(k), fmt(bars[k][0]), fmt(bars[k][1]), fmt(bars[k][2]), fmt(bars[k][3]), bars[k][4], bars[k][5]) for k in keys])
with open('AMZN_20120621_1min_nse-layout.txt', 'w', newline='\n') as out:
    for k in keys:
        b = bars[k]
        out.write('AMZN,20120621,%s,%s,%s,%s,%s,%d\n' % (hhmm(k), fmt(b[0]), fmt(b[1]), fmt(b[2]), fmt(b[3]), b[4]))
day = [bars[keys[0]][0], max(bars[k][1] for k in keys), min(bars[k][2] for k in keys), bars[keys[-1]][3],
       sum(bars[k][4] for k in keys), sum(bars[k][5] for k in keys)]
value = sum(Decimal(r[3]) * Decimal(r[4]) / 10000 for r in rows if r[1] in ('4', '5'))
with open('AMZN_daily_nse-layout.csv', 'w', newline='\n') as out:
    out.write('"210612","%s","%s","%s","%s","%.2f","%d","%d"\n' % (fmt(day[0]), fmt(day[1]), fmt(day[2]), fmt(day[3]), value, day[4], day[5]))
