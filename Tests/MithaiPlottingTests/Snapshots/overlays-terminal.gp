reset
set terminal pngcairo size 800,500 enhanced font "DejaVu Sans Mono,9" background rgb "#000000" linewidth 1
set output '/tmp/chart.png'
set encoding utf8
set datafile missing NaN
set border 3 lc rgb "#5F5F5F"
set tics textcolor rgb "#BCBCBC" nomirror
set key textcolor rgb "#BCBCBC" top left opaque box lc rgb "#3A3A3A"
set title textcolor rgb "#FFB000"
set xlabel textcolor rgb "#BCBCBC"
set ylabel textcolor rgb "#BCBCBC"
set y2label textcolor rgb "#BCBCBC"
set border 9 lc rgb "#5F5F5F"
unset ytics
set y2tics textcolor rgb "#BCBCBC" nomirror
set link y2
set grid xtics y2tics lc rgb "#303030" lw 1 dt 1
set multiplot title "BTCUSDT 10s"
set origin 0,0.287
set size 1,0.673
set tmargin 0.5
set bmargin 0.5
set lmargin 8
set rmargin 10
set format x ""
unset title
set key horizontal maxrows 1
set offsets 0, 0, graph 0.14, 0
set xdata time
set timefmt "%s"
set xtics 10
set key
set boxwidth 7 absolute
unset xlabel
set y2label "price"
unset ylabel
unset logscale y
set xrange ["1723161595":"1723161645"]
plot '$DATA0_0' binary format="%float64%float64%float64%float64%float64" using 1:($5>=$2?$2:1/0):3:4:($5>=$2?$5:1/0) with candlesticks fs empty lc rgb "#5FD75F" title "BTCUSDT", \
     '$DATA0_0' binary format="%float64%float64%float64%float64%float64" using 1:($5<$2?$2:1/0):3:4:($5<$2?$5:1/0) with candlesticks fs solid 1 lc rgb "#FF5F5F" notitle, \
     '$DATA0_1' binary format="%float64%float64" using 1:2 with lines lw 1.5 dt 1 lc rgb "#FFB000" title "sma(close,3)", \
     '$DATA0_2' binary format="%float64%float64%float64" using 1:2:3 with filledcurves fs transparent solid 0.14 noborder lc rgb "#AF87FF" notitle, \
     '$DATA0_2' binary format="%float64%float64%float64" using 1:2 with lines lw 1 dt 1 lc rgb "#AF87FF" title "bbands(close,3,2)", \
     '$DATA0_2' binary format="%float64%float64%float64" using 1:3 with lines lw 1 dt 1 lc rgb "#AF87FF" notitle, \
     '$DATA0_3' binary format="%float64%float64" using 1:2 with lines lw 1 dt 2 lc rgb "#AF87FF" notitle
set origin 0,0.04
set size 1,0.247
set tmargin 0.5
set bmargin 3
set lmargin 8
set rmargin 10
unset format
unset title
set key vertical maxrows auto
set offsets 0, 0, 0, 0
set xdata time
set timefmt "%s"
set xtics 10
set format x "%H:%M:%S" timedate
unset key
unset xlabel
set y2label "RSI(close,3)"
unset ylabel
unset logscale y
set yrange [0:100]
set xrange ["1723161595":"1723161645"]
set arrow from graph 0, first 30 to graph 1, first 30 nohead dt 2 lw 1 lc rgb "#8A8A8A" back
set arrow from graph 0, first 70 to graph 1, first 70 nohead dt 2 lw 1 lc rgb "#8A8A8A" back
plot '$DATA1_0' binary format="%float64%float64" using 1:2 with lines lw 1.5 dt 1 lc rgb "#FFB000" notitle
unset multiplot
unset output
