reset
set terminal pngcairo size 800,500 enhanced font "DejaVu Serif,9" background rgb "#FFFFFF" linewidth 1
set output '/tmp/chart.png'
set encoding utf8
set datafile missing NaN
set border 3 lc rgb "#000000"
set tics nomirror textcolor rgb "#000000"
set key top left box lc rgb "#000000"
set title textcolor rgb "#000000"
set grid xtics ytics lc rgb "#D0D0D0" lw 1 dt 3
set multiplot title "BTCUSDT 10s"
set origin 0,0.287
set size 1,0.673
set tmargin 0.5
set bmargin 0.5
set lmargin 11
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
set ylabel "price"
unset logscale y
set xrange ["1723161595":"1723161645"]
plot '$DATA0_0' binary format="%float64%float64%float64%float64%float64" using 1:($5>=$2?$2:1/0):3:4:($5>=$2?$5:1/0) with candlesticks fs empty lc rgb "#000000" title "BTCUSDT", \
     '$DATA0_0' binary format="%float64%float64%float64%float64%float64" using 1:($5<$2?$2:1/0):3:4:($5<$2?$5:1/0) with candlesticks fs solid 1 lc rgb "#777777" notitle, \
     '$DATA0_1' binary format="%float64%float64" using 1:2 with lines lw 1.5 dt 1 lc rgb "#000000" title "sma(close,3)", \
     '$DATA0_2' binary format="%float64%float64%float64" using 1:2:3 with filledcurves fs transparent solid 0.12 noborder lc rgb "#000000" notitle, \
     '$DATA0_2' binary format="%float64%float64%float64" using 1:2 with lines lw 1 dt 2 lc rgb "#000000" title "bbands(close,3,2)", \
     '$DATA0_2' binary format="%float64%float64%float64" using 1:3 with lines lw 1 dt 2 lc rgb "#000000" notitle, \
     '$DATA0_3' binary format="%float64%float64" using 1:2 with lines lw 1 dt 2 lc rgb "#000000" notitle
set origin 0,0.04
set size 1,0.247
set tmargin 0.5
set bmargin 3
set lmargin 11
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
set ylabel "RSI(close,3)"
unset logscale y
set yrange [0:100]
set xrange ["1723161595":"1723161645"]
set arrow from graph 0, first 30 to graph 1, first 30 nohead dt 2 lw 1 lc rgb "#777777" back
set arrow from graph 0, first 70 to graph 1, first 70 nohead dt 2 lw 1 lc rgb "#777777" back
plot '$DATA1_0' binary format="%float64%float64" using 1:2 with lines lw 1.5 dt 1 lc rgb "#000000" notitle
unset multiplot
unset output
